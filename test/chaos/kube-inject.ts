// The Kubernetes API faults the store-fault tests inject (issue 16), seeded: on SpiderIPPool
// requests (watches included), 409 Conflict on a share of writes, 500s, dropped connections and
// delays of up to 300 ms, counted by kind. With `firstWrites`, the first three writes get a 409, a
// 500 and a dropped connection in that order, so each kind meets the allocation path in every run.
import { rng } from '../helpers/chaos.js';
import type { HookAction, KubeApiServer } from '../kube-apiserver/server.js';

export function injectPoolFaults(api: KubeApiServer, seed: number, firstWrites = false) {
  const r = rng(seed);
  const injected: Record<string, number> = { conflict: 0, error500: 0, slow: 0, dropped: 0 };
  let writes = 0;
  const off = api.before((req): HookAction | undefined => {
    if (req.plural !== 'spiderippools') return undefined;
    const x = r();
    const write = req.method === 'PUT' || req.method === 'PATCH';
    const nth = write ? ++writes : 0;
    if (firstWrites && nth >= 1 && nth <= 3) {
      const kind = (['conflict', 'error500', 'dropped'] as const)[nth - 1]!;
      injected[kind]!++;
      return kind === 'conflict'
        ? { fail: { code: 409, message: 'injected: the object has been modified' } }
        : kind === 'error500'
          ? { fail: { code: 500 } }
          : { drop: true };
    }
    if (write && x < 0.15) {
      injected['conflict']!++;
      return { fail: { code: 409, message: 'injected: the object has been modified' } };
    }
    if (x < (write ? 0.22 : 0.05)) {
      injected['error500']!++;
      return { fail: { code: 500 } };
    }
    if (x < (write ? 0.27 : 0.09)) {
      injected['dropped']!++;
      return { drop: true };
    }
    if (x < 0.35) {
      injected['slow']!++;
      return { delayMs: Math.floor(r() * 300) };
    }
    return undefined;
  });
  return { injected, total: () => Object.values(injected).reduce((a, b) => a + b, 0), off };
}
