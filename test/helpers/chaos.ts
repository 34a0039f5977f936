// What every randomised test shares (issue 16): sizes from the environment, validated, and a small
// seeded generator, so a printed seed replays a run exactly.

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
