// The controller's API access: the Lease through the generic object API (plain JSON, so MicroTime
// strings go out exactly as written), everything else through the clients the cluster layer loads.
import { type Clients, httpStatus, loadClients } from '../cluster/kubernetes/client.js';
import type { LeaseClient } from './lease.js';

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' } as const;

export async function connect(kubeconfig: string | undefined): Promise<Clients> {
  return loadClients(kubeconfig);
}

const conflictOr = async <T>(p: Promise<unknown>): Promise<T | 'conflict'> => {
  try {
    return (await p) as T;
  } catch (err) {
    if (httpStatus(err) === 409) return 'conflict';
    throw err;
  }
};

export function leaseClient(c: Clients, namespace: string, name: string): LeaseClient {
  const at = { ...LEASES, namespace };
  return {
    get: async () => {
      try {
        return (await c.custom.getNamespacedCustomObject({ ...at, name })) as Lease;
      } catch (err) {
        if (httpStatus(err) === 404) return undefined;
        throw err;
      }
    },
    create: (lease) =>
      conflictOr<Lease>(
        c.custom.createNamespacedCustomObject({
          ...at,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            ...lease,
            metadata: { name, namespace },
          },
        }),
      ),
    replace: (lease) =>
      conflictOr<Lease>(c.custom.replaceNamespacedCustomObject({ ...at, name, body: lease })),
  };
}
