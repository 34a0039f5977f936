// Who wrote what when, from the test API server's own hooks: every request is logged at arrival
// (before hook: authenticated, not yet served) and at completion (after hook: the object is stored,
// the status known), in one order, with the replica its bearer token names (replicas share the
// controller's service account; each token is bound to its own pod, as in a cluster).
import { type KubeApiServer, POD_NAME_EXTRA } from '../kube-apiserver/server.js';
import { asController } from './identity.js';

export interface Logged {
  seq: number;
  /** The server's clock (ms) when logged. */
  at: number;
  phase: 'request' | 'response';
  who: string;
  method: string;
  path: string;
  status?: number;
}

export interface Recorder {
  log: Logged[];
  /** A kubeconfig with its own token for replica `who`: the controller's service account, deploy RBAC. */
  kubeconfig(who: string): string;
  stop(): void;
}

export function startRecorder(api: KubeApiServer): Recorder {
  const log: Logged[] = [];
  const entry = (
    phase: Logged['phase'],
    i: {
      user?: { username: string; extra?: Record<string, string[]> };
      method: string;
      path: string;
      code?: number;
    },
  ) =>
    log.push({
      seq: log.length,
      at: Date.now(),
      phase,
      who: i.user?.extra?.[POD_NAME_EXTRA]?.[0] ?? i.user?.username ?? '?',
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
    kubeconfig: (who) => asController(api, who),
    stop: () => {
      offBefore();
      offAfter();
    },
  };
}
