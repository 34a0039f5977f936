// The configurations' caBundle as a set that every controller replica may write at once: a writer
// only adds the CA it is about to serve and drops CAs that have expired, never one still valid. So
// two replicas racing (or a stale one) can never remove a CA whose certificate someone still serves;
// a CA that lost a race stays harmlessly until it expires.
import { X509Certificate } from 'node:crypto';
import { type Clients, httpStatus } from '../cluster/kubernetes/client.js';

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, in order. */
const pemCerts = (text: string): string[] => text.match(PEM) ?? [];

/** `current` plus `add`, without duplicates, unparsable entries or CAs expired at `now`. */
function mergeBundle(current: string, add: readonly string[], now = Date.now()): string {
  const keep: string[] = [];
  for (const pem of [...pemCerts(current), ...add.flatMap(pemCerts)]) {
    if (keep.includes(pem)) continue;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      continue;
    }
    if (Date.parse(cert.validTo) > now) keep.push(pem);
  }
  return keep.map((p) => `${p}\n`).join('');
}

/** Makes sure `caPems` are in the caBundle of every webhook of the configurations. */
export type Publish = (caPems: readonly string[]) => Promise<void>;

interface Configuration {
  webhooks?: { clientConfig: { caBundle?: string } }[];
}

/** Merges into every webhook of the Mutating and Validating configurations named `name`. */
export function bundlePublisher(clients: Clients, name: string): Publish {
  const api = clients.kc.makeApiClient(clients.lib.AdmissionregistrationV1Api);
  const kinds = [
    {
      read: () => api.readValidatingWebhookConfiguration({ name }),
      replace: (body: never) => api.replaceValidatingWebhookConfiguration({ name, body }),
    },
    {
      read: () => api.readMutatingWebhookConfiguration({ name }),
      replace: (body: never) => api.replaceMutatingWebhookConfiguration({ name, body }),
    },
  ];
  return async (caPems) => {
    for (const kind of kinds) {
      for (let attempt = 0; ; attempt++) {
        try {
          const conf = (await kind.read()) as Configuration;
          let changed = false;
          for (const w of conf.webhooks ?? []) {
            const before = Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8');
            const after = mergeBundle(before, caPems);
            if (after === before) continue;
            w.clientConfig.caBundle = Buffer.from(after).toString('base64');
            changed = true;
          }
          if (changed) await kind.replace(conf as never);
          break;
        } catch (e) {
          // Without the webhook component installed there is nothing to publish into.
          if (httpStatus(e) === 404) break;
          // Another replica (or kubectl apply) wrote since our read: merge into theirs.
          if (httpStatus(e) !== 409 || attempt >= 9) throw e;
        }
      }
    }
  };
}
