// AdmissionReview v1 (admission.k8s.io/v1) as exchanged with kube-apiserver, and what every
// per-kind handler returns: refusal messages (field path, value found, what was expected) and,
// for mutating handlers, the JSONPatch to apply.
import type { ClusterSource } from '../cluster/types.js';

type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
type Rec = Record<string, unknown>;

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: { username?: string; groups?: string[] };
  object?: Rec | null;
  oldObject?: Rec | null;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patchType?: 'JSONPatch';
  patch?: string;
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** What the handlers may consult: the cluster as the controller sees it, and Multus's settings. */
export interface WebhookContext {
  source: ClusterSource;
  /** Multus's namespaceIsolation and the namespaces exempt from it. */
  namespaceIsolation: boolean;
  nonIsolatedNamespaces: string[];
  /** Namespace of default-network NADs named without one (Multus's multusNamespace). */
  multusNamespace: string;
}

export interface KindHandler {
  /** Problems found; empty admits. */
  validate?(req: AdmissionRequest, ctx: WebhookContext): Promise<string[]>;
  /** Defaults to add (JSONPatch against the object as sent). */
  mutate?(req: AdmissionRequest, ctx: WebhookContext): Promise<JsonPatchOp[]>;
}

/** A JSON pointer token (RFC 6901). */
export const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
