// readinessindicatorfile: the default network's "I am ready" file, polled like Multus does.
import { existsSync } from 'node:fs';
import { tryAgainLater } from '../../cni/errors.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `file` exists; rejects with code 11 after `timeoutS` seconds. */
export async function waitForReadiness(
  file: string | undefined,
  timeoutS: number,
  pollMs = 250,
): Promise<void> {
  if (file === undefined) return;
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    if (existsSync(file)) return;
    if (Date.now() >= deadline) {
      throw tryAgainLater(
        `readiness indicator file ${file} did not appear within ${timeoutS} s: the default network is not ready`,
      );
    }
    await sleep(pollMs);
  }
}
