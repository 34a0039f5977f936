// Every write the controller makes passes through the fence: a deposed or paused leader must not
// write (lease.ts explains why the check suffices with renewDeadline < leaseDuration).

class NotLeaderError extends Error {
  override name = 'NotLeaderError';
}

export type Fence = () => boolean;

export function guard(fence: Fence, what: string): void {
  if (!fence()) throw new NotLeaderError(`not writing (${what}): this replica does not hold a valid lease`);
}
