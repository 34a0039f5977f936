// CPU time per process kind, from /proc: the harness (the API server emulation and the pods' creation
// run in it), the agents, the kubelets with the shims they exec (reaped children count in cutime), and
// the `ip` processes that make and remove namespaces (children of the harness).
import { readFileSync } from 'node:fs';

export interface CpuSample {
  harness: number;
  agents: number;
  /** The agents' system time alone (the kernel's share: links, namespaces, addresses, routes). */
  agentsSystem: number;
  kubelets: number;
  /** Reaped children of the harness: the `ip -batch` and helper processes. */
  harnessChildren: number;
}

const TICK_MS = 10;

/** [self, reaped children, self system] CPU of a process in ms; zeros when it is gone. */
function proc(pid: number | undefined): [number, number, number] {
  if (pid === undefined) return [0, 0, 0];
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(rest[i]) * TICK_MS;
    return [n(11) + n(12), n(13) + n(14), n(12)];
  } catch {
    return [0, 0, 0];
  }
}

const sum = (pids: (number | undefined)[], f: (c: [number, number, number]) => number) =>
  pids.reduce<number>((n, p) => n + f(proc(p)), 0);

export function cpuSample(agents: (number | undefined)[], kubelets: (number | undefined)[]): CpuSample {
  const self = proc(process.pid);
  return {
    harness: self[0],
    harnessChildren: self[1],
    // An agent's own children (none with the netlink backend) count as the agent's.
    agents: sum(agents, (c) => c[0] + c[1]),
    agentsSystem: sum(agents, (c) => c[2]),
    kubelets: sum(kubelets, (c) => c[0] + c[1]),
  };
}

/** CPU ms per pod of each kind between two samples. */
export function cpuPerPod(a: CpuSample, b: CpuSample, pods: number): CpuSample {
  return {
    harness: (b.harness - a.harness) / pods,
    agents: (b.agents - a.agents) / pods,
    agentsSystem: (b.agentsSystem - a.agentsSystem) / pods,
    kubelets: (b.kubelets - a.kubelets) / pods,
    harnessChildren: (b.harnessChildren - a.harnessChildren) / pods,
  };
}
