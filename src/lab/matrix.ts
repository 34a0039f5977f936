// The connectivity matrix: every pod pings every other pod's target address (its first macvlan
// address), plus any interface an expectation names; each cell is compared with the scenario.
import { netnsPath } from '../kernel/namespaces.js';
import { ping } from './bridge.js';
import type { Expectation, MatrixCell, PodReport } from './types.js';

const idOf = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

interface Probe {
  from: PodReport;
  to: string;
  ip: string | undefined;
  expected: boolean | undefined;
}

function plannedProbes(pods: PodReport[], expectations: Expectation[]): Probe[] {
  const out: Probe[] = [];
  const find = (ns: string, name: string) => pods.find((p) => p.namespace === ns && p.name === name);
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      const e = expectations.find(
        (x) => x.to.iface === undefined && idOf(x.from) === idOf(a) && idOf(x.to) === idOf(b),
      );
      out.push({ from: a, to: idOf(b), ip: b.target?.ip, expected: e?.reachable });
    }
  }
  for (const e of expectations) {
    if (e.to.iface === undefined) continue;
    const a = find(e.from.namespace, e.from.name);
    const b = find(e.to.namespace, e.to.name);
    if (a === undefined || b === undefined) continue;
    const ip = b.ifaces.find((i) => i.name === e.to.iface)?.addrs[0]?.split('/')[0];
    out.push({ from: a, to: `${idOf(b)}@${e.to.iface}`, ip, expected: e.reachable });
  }
  return out;
}

/** Runs every probe at once (each waits at most 2 s for an answer). */
export async function connectivity(pods: PodReport[], expectations: Expectation[]): Promise<MatrixCell[]> {
  return Promise.all(
    plannedProbes(pods, expectations).map(async (p): Promise<MatrixCell> => {
      const r = p.ip !== undefined ? await ping(netnsPath(p.from.netns), p.ip) : { ok: false };
      return {
        from: idOf(p.from),
        to: p.to,
        target: p.ip ?? '(no address)',
        ok: r.ok,
        ...('ms' in r && r.ms !== undefined ? { ms: r.ms } : {}),
        ...(p.expected !== undefined ? { expected: p.expected } : {}),
      };
    }),
  );
}

export const mismatches = (cells: MatrixCell[]): MatrixCell[] =>
  cells.filter((c) => c.expected !== undefined && c.expected !== c.ok);
