// What every randomised test shares (issue 16): sizes from the environment, validated, and a small
// seeded generator, so a printed seed replays a run exactly; and the invariants on successful ADDs.
import assert from 'node:assert/strict';
import type { PluginRun } from './cni.js';
import { ipj } from './netns.js';

/** An integer knob from the environment (digits only), or the default when unset or empty. */
export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,7}$/.test(v)) throw new Error(`${name}: expected an integer, found ${v}`);
  return Number(v);
}

/** mulberry32: a uniform float in [0, 1) per call, the same sequence for the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The invariants on a burst's successful ADDs: no address twice, and each one configured on eth0 in
 * its pod's namespace.
 */
export function assertAddsInPods(
  ok: readonly { id: string; pod: { name: string }; res?: PluginRun | undefined }[],
  seed: number,
): void {
  const first = (r: PluginRun | undefined) => ((r?.json?.['ips'] ?? []) as { address: string }[])[0]!.address;
  const addrs = ok.map((x) => first(x.res));
  assert.equal(new Set(addrs).size, addrs.length, `seed ${seed}: duplicate addresses ${addrs.join(' ')}`);
  for (const x of ok) {
    const want = first(x.res).split('/')[0];
    const have = ipj<{ addr_info: { local: string }[] }[]>(x.pod.name, [
      'addr',
      'show',
      'eth0',
    ])[0]?.addr_info.map((a) => a.local);
    assert.ok(have?.includes(want!), `seed ${seed}: ${x.id} lost ${want} (pod has ${have})`);
  }
}
