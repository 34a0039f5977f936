// Admission webhooks as kube-apiserver calls them: the stored Mutating/ValidatingWebhookConfigurations
// are read on every write; each webhook whose rules, namespaceSelector and objectSelector match gets an
// AdmissionReview v1 POSTed over HTTPS, verified with its caBundle (for a service reference, the
// certificate must name NAME.NAMESPACE.svc). Mutating webhooks run first, one after another, their
// JSONPatch applied to the object; validating webhooks then run in parallel. A refusal reads as
// kube-apiserver's (`admission webhook "NAME" denied the request: MSG`); a failed call obeys the
// webhook's failurePolicy (Fail by default) within its timeoutSeconds (10 s by default).
// Differences from kube-apiserver: webhooks see the body before CRD defaulting and schema
// validation (kube-apiserver defaults first), and a service reference resolves through
// `endpoints` (set by tests) since no Service here has real endpoints.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import type { UserInfo } from './auth.js';
import { jsonPatch } from './patch.js';
import type { Registry, ResourceType } from './resources.js';
import { ApiError, type Obj, type Store } from './store.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Rule {
  apiGroups?: string[];
  apiVersions?: string[];
  operations?: string[];
  resources?: string[];
  scope?: string;
}
interface Webhook {
  name: string;
  clientConfig: {
    url?: string;
    service?: { namespace: string; name: string; path?: string; port?: number };
    caBundle?: string;
  };
  rules?: Rule[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: Selector;
  objectSelector?: Selector;
  timeoutSeconds?: number;
}

export interface AdmissionAttributes {
  resource: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
  operation: Operation;
  user: UserInfo;
  object?: Obj;
  oldObject?: Obj;
}

function matches(sel: Selector | undefined, labels: Record<string, string> = {}): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In') return inValues;
    if (e.operator === 'NotIn') return !inValues;
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
}

const listed = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

function ruleMatches(rule: Rule, a: AdmissionAttributes): boolean {
  const r = a.resource;
  const res = a.subresource ? `${r.plural}/${a.subresource}` : r.plural;
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes(res) ||
    resources.includes('*/*') ||
    (!a.subresource && resources.includes('*')) ||
    (a.subresource !== undefined && resources.includes(`*/${a.subresource}`)) ||
    (a.subresource !== undefined && resources.includes(`${r.plural}/*`));
  const scope = rule.scope ?? '*';
  return (
    listed(rule.operations, a.operation) &&
    listed(rule.apiGroups, r.group) &&
    listed(rule.apiVersions, r.version) &&
    resourceOk &&
    (scope === '*' || (scope === 'Namespaced') === r.namespaced)
  );
}

export class Admission {
  /** Where a service reference `NAMESPACE/NAME` is served (the Service's endpoint). */
  readonly endpoints = new Map<string, { host: string; port: number }>();

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
  ) {}

  private configs(plural: string): Webhook[] {
    const t = this.reg.byPlural('admissionregistration.k8s.io', 'v1', plural);
    if (!t) return [];
    return this.store.list(t).flatMap((c) => (c.webhooks as Webhook[] | undefined) ?? []);
  }

  private applies(w: Webhook, a: AdmissionAttributes): boolean {
    if (!(w.rules ?? []).some((r) => ruleMatches(r, a))) return false;
    const isNs = a.resource.group === '' && a.resource.plural === 'namespaces';
    if (a.resource.namespaced || isNs) {
      const nsLabels = isNs
        ? (a.object ?? a.oldObject)?.metadata?.labels
        : this.store.get(this.reg.byPlural('', 'v1', 'namespaces')!, undefined, a.namespace ?? '')?.metadata
            ?.labels;
      // kube-apiserver guarantees every namespace this label, so selectors may exclude by name.
      const name = isNs ? (a.object ?? a.oldObject)?.metadata?.name : a.namespace;
      const labels = { ...nsLabels, 'kubernetes.io/metadata.name': name ?? '' };
      if (!matches(w.namespaceSelector, labels)) return false;
    }
    const objs = [a.object, a.oldObject].filter((o): o is Obj => o !== undefined);
    return objs.some((o) => matches(w.objectSelector, o.metadata?.labels));
  }

  /** The object to store after mutation; throws the ApiError kube-apiserver would return. */
  async admit(a: AdmissionAttributes): Promise<Obj | undefined> {
    let obj = a.object;
    for (const w of this.configs('mutatingwebhookconfigurations')) {
      if (!this.applies(w, { ...a, ...(obj ? { object: obj } : {}) })) continue;
      const resp = await this.call(w, { ...a, ...(obj ? { object: obj } : {}) });
      if (resp?.patch !== undefined && obj !== undefined) {
        if (resp.patchType !== 'JSONPatch')
          throw this.failed(w, `unsupported patch type "${resp.patchType}"`);
        try {
          obj = jsonPatch(obj, JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8'))) as Obj;
        } catch (e) {
          throw this.failed(w, `JSON patch could not be applied: ${(e as Error).message}`);
        }
      }
    }
    const final = { ...a, ...(obj ? { object: obj } : {}) };
    const hooks = this.configs('validatingwebhookconfigurations').filter((w) => this.applies(w, final));
    await Promise.all(hooks.map((w) => this.call(w, final)));
    return obj;
  }

  private failed(w: Webhook, why: string): ApiError {
    return new ApiError(
      500,
      'InternalError',
      `Internal error occurred: failed calling webhook "${w.name}": ${why}`,
    );
  }

  private async call(w: Webhook, a: AdmissionAttributes): Promise<Response | undefined> {
    let resp: Response;
    try {
      resp = await this.post(w, a);
    } catch (e) {
      if (w.failurePolicy === 'Ignore') return undefined;
      throw this.failed(w, (e as Error).message);
    }
    if (!resp.allowed) {
      const s = resp.status ?? {};
      const code = s.code && s.code >= 400 ? s.code : 400;
      const msg = s.message ?? 'no reason given';
      throw new ApiError(
        code,
        s.reason ?? (code === 403 ? 'Forbidden' : 'BadRequest'),
        `admission webhook "${w.name}" denied the request: ${msg}`,
      );
    }
    return resp;
  }

  private target(w: Webhook): { url: URL; servername?: string } {
    const c = w.clientConfig;
    if (c.url) return { url: new URL(c.url) };
    const s = c.service;
    if (!s) throw new Error('clientConfig has neither url nor service');
    const ep = this.endpoints.get(`${s.namespace}/${s.name}`);
    if (!ep) throw new Error(`service "${s.name}" in namespace "${s.namespace}" has no endpoints`);
    return {
      url: new URL(`https://${ep.host}:${ep.port}${s.path ?? '/'}`),
      servername: `${s.name}.${s.namespace}.svc`,
    };
  }

  private post(w: Webhook, a: AdmissionAttributes): Promise<Response> {
    const { url, servername } = this.target(w);
    const uid = randomUUID();
    const r = a.resource;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const gvr = { group: r.group, version: r.version, resource: r.plural };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: gvk,
        resource: gvr,
        ...(a.subresource ? { subResource: a.subresource } : {}),
        requestKind: gvk,
        requestResource: gvr,
        ...(a.name ? { name: a.name } : {}),
        ...(a.namespace ? { namespace: a.namespace } : {}),
        operation: a.operation,
        userInfo: { username: a.user.username, groups: a.user.groups ?? [] },
        object: a.object ?? null,
        oldObject: a.oldObject ?? null,
        dryRun: false,
        options: {
          apiVersion: 'meta.k8s.io/v1',
          kind: { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' }[a.operation],
        },
      },
    };
    const body = JSON.stringify(review);
    const timeoutMs = (w.timeoutSeconds ?? 10) * 1000;
    const where = `Post "${url.href}"`;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          ca: w.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64') : undefined,
          ...(servername ? { servername } : {}),
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new Error(`failed to call webhook: ${where}: ${e.message}`)));
          res.on('end', () => {
            try {
              const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                apiVersion?: string;
                kind?: string;
                response?: Response;
              };
              if (out.apiVersion !== 'admission.k8s.io/v1' || out.kind !== 'AdmissionReview' || !out.response)
                throw new Error('expected response.apiVersion admission.k8s.io/v1, kind AdmissionReview');
              if (out.response.uid !== uid)
                throw new Error(`expected response.uid="${uid}", got "${out.response.uid}"`);
              resolve(out.response);
            } catch (e) {
              reject(new Error(`received invalid webhook response: ${(e as Error).message}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${where}: context deadline exceeded`)));
      req.on('error', (e) => reject(new Error(`failed to call webhook: ${where}: ${e.message}`)));
      req.end(body);
    });
  }
}

interface Response {
  uid: string;
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  patch?: string;
  patchType?: string;
}
