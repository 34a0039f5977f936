// The finalizer every SpiderIPPool carries, as Spiderpool names it: the webhook adds it on create and
// the controller removes it once a pool being deleted holds no address. Both layers above read it here.
export const POOL_FINALIZER = 'spiderpool.spidernet.io';
