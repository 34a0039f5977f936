// The serving certificate every controller replica shares, kept in a kubernetes.io/tls Secret
// (tls.crt, tls.key, ca.crt) so that whichever replica the Service picks presents a certificate the
// caBundle trusts. Any replica may create or renew it, no leader needed: the API server's
// resourceVersion check lets exactly one write win, the others adopt the winner's. A renewal
// publishes the new CA into caBundle (bundle.ts: add-only) before the Secret names it, and every
// replica publishes a CA before serving its certificate, so no replica ever serves an untrusted one.
// A Secret without our annotation is someone else's (cert-manager, an operator): served and its CA
// published, never renewed here.
import { X509Certificate } from 'node:crypto';
import { type Clients, httpStatus } from '../cluster/kubernetes/client.js';
import type { Publish } from './bundle.js';
import { issueServingCerts } from './certs.js';

export const MANAGED_ANNOTATION = 'trunkline.io/webhook-certificate';

interface Serving {
  cert: string;
  key: string;
  ca: string;
}

interface KeeperOptions {
  clients: Clients;
  namespace: string;
  secretName: string;
  dnsNames: string[];
  /** Lifetime of a certificate this keeper makes; it is renewed at two thirds of it. */
  validityMs: number;
  publish: Publish;
}

interface SecretObj {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

function serving(s: SecretObj): Serving {
  const d = s.data ?? {};
  const out = { cert: unb64(d['tls.crt']), key: unb64(d['tls.key']), ca: unb64(d['ca.crt']) };
  if (!out.cert || !out.key || !out.ca)
    throw new Error('expected the webhook Secret to hold tls.crt, tls.key and ca.crt, found some empty');
  return out;
}

/** A third of the validity left (certs.ts backdates notBefore), or not for our Service's name. */
function due(cert: string, dnsNames: string[], validityMs: number, now: number): boolean {
  const c = new X509Certificate(cert);
  const names = c.subjectAltName ?? '';
  return Date.parse(c.validTo) - now <= validityMs / 3 || !dnsNames.every((n) => names.includes(`DNS:${n}`));
}

export class CertKeeper {
  constructor(private readonly o: KeeperOptions) {}

  private async read(): Promise<SecretObj | undefined> {
    try {
      return (await this.o.clients.core.readNamespacedSecret({
        name: this.o.secretName,
        namespace: this.o.namespace,
      })) as SecretObj;
    } catch (e) {
      if (httpStatus(e) === 404) return undefined;
      throw e;
    }
  }

  private async body(resourceVersion?: string) {
    const c = await issueServingCerts(this.o.dnsNames, this.o.validityMs);
    return {
      certs: c,
      secret: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name: this.o.secretName,
          namespace: this.o.namespace,
          annotations: { [MANAGED_ANNOTATION]: 'self-signed' },
          ...(resourceVersion ? { resourceVersion } : {}),
        },
        data: { 'tls.crt': b64(c.cert), 'tls.key': b64(c.key), 'ca.crt': b64(c.caCert) },
      },
    };
  }

  /** The Secret as it should be now, written by us if needed; undefined when another writer won. */
  private async settle(current: SecretObj | undefined): Promise<SecretObj | undefined> {
    const { namespace, secretName: name } = this.o;
    try {
      if (current === undefined) {
        const { secret } = await this.body();
        return (await this.o.clients.core.createNamespacedSecret({ namespace, body: secret })) as SecretObj;
      }
      const managed = current.metadata?.annotations?.[MANAGED_ANNOTATION] !== undefined;
      if (!managed || !due(serving(current).cert, this.o.dnsNames, this.o.validityMs, Date.now()))
        return current;
      const { certs, secret } = await this.body(current.metadata?.resourceVersion);
      await this.o.publish([serving(current).ca, certs.caCert]);
      return (await this.o.clients.core.replaceNamespacedSecret({
        name,
        namespace,
        body: secret,
      })) as SecretObj;
    } catch (e) {
      if (httpStatus(e) === 409) return undefined;
      throw e;
    }
  }

  /** One pass: the certificate to serve, its CA already in caBundle. */
  async sync(): Promise<Serving> {
    let secret = await this.settle(await this.read());
    for (let i = 0; secret === undefined && i < 5; i++) secret = await this.settle(await this.read());
    if (secret === undefined) throw new Error(`Secret ${this.o.secretName}: kept changing under us`);
    const s = serving(secret);
    await this.o.publish([s.ca]);
    return s;
  }
}
