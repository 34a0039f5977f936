// Who wrote what when, from the test API server's own hooks: every request is logged at arrival
// (before hook: authenticated, not yet served) and at completion (after hook: the object is stored,
// the status known), in one order, with the user its bearer token names.
import type { KubeApiServer } from '../kube-apiserver/server.js';

export interface Logged {
  seq: number;
  phase: 'request' | 'response';
  who: string;
  method: string;
  path: string;
  status?: number;
}

export interface Recorder {
  log: Logged[];
  /** A kubeconfig with its own token for `who` (cluster admin: RBAC is the deploy tests' subject). */
  kubeconfig(who: string): string;
  stop(): void;
}

export function startRecorder(api: KubeApiServer): Recorder {
  const log: Logged[] = [];
  const entry = (
    phase: Logged['phase'],
    i: { user?: { username: string }; method: string; path: string; code?: number },
  ) =>
    log.push({
      seq: log.length,
      phase,
      who: i.user?.username ?? '?',
      method: i.method,
      path: i.path,
      ...(i.code !== undefined ? { status: i.code } : {}),
    });
  const offBefore = api.before((i) => {
    entry('request', i);
    return undefined;
  });
  const offAfter = api.after((i) => {
    entry('response', i);
  });
  return {
    log,
    kubeconfig: (who) =>
      api.kubeconfigFor({ username: who, groups: ['system:masters', 'system:authenticated'] }),
    stop: () => {
      offBefore();
      offAfter();
    },
  };
}
