// Certificate rotation without downtime: a new CA and serving certificate are made when a third
// of the validity remains; the new CA is published in both WebhookConfigurations' caBundle *next to*
// the old one before the server switches, so kube-apiserver trusts whichever certificate it meets.
// The older CA leaves the bundle at the following rotation.
import type { Clients } from '../cluster/kubernetes/client.js';
import { issueServingCerts, type ServingCerts } from './certs.js';
import type { WebhookServer } from './server.js';

export type Publish = (caBundlePem: string) => Promise<void>;

/** Writes `caBundle` into every webhook of the named Mutating and Validating configurations. */
export function caBundlePublisher(clients: Clients, name: string): Publish {
  const api = clients.kc.makeApiClient(clients.lib.AdmissionregistrationV1Api);
  return async (pem) => {
    const caBundle = Buffer.from(pem).toString('base64');
    for (let attempt = 0; ; attempt++) {
      try {
        const v = await api.readValidatingWebhookConfiguration({ name });
        for (const w of v.webhooks ?? []) w.clientConfig.caBundle = caBundle;
        await api.replaceValidatingWebhookConfiguration({ name, body: v });
        const m = await api.readMutatingWebhookConfiguration({ name });
        for (const w of m.webhooks ?? []) w.clientConfig.caBundle = caBundle;
        await api.replaceMutatingWebhookConfiguration({ name, body: m });
        return;
      } catch (e) {
        // A concurrent writer (kubectl apply of the manifests) made our read stale: read again.
        if ((e as { code?: number }).code !== 409 || attempt >= 4) throw e;
      }
    }
  };
}

export interface RotatorOptions {
  dnsNames: string[];
  validityMs: number;
  publish: Publish;
  onError?: (e: unknown) => void;
}

export class CertRotator {
  private timer: NodeJS.Timeout | undefined;
  /** Rotations done so far. */
  rotations = 0;

  private constructor(
    private readonly opts: RotatorOptions,
    private current: ServingCerts,
  ) {}

  /** The first certificates; serve them, then call start(). */
  static async create(opts: RotatorOptions): Promise<CertRotator> {
    return new CertRotator(opts, await issueServingCerts(opts.dnsNames, opts.validityMs));
  }

  get certs(): ServingCerts {
    return this.current;
  }

  async start(server: WebhookServer): Promise<void> {
    await this.opts.publish(this.current.caCert);
    this.schedule(server);
  }

  private schedule(server: WebhookServer): void {
    const left = this.current.notAfter.getTime() - Date.now();
    this.timer = setTimeout(
      () => {
        this.rotate(server).catch((e: unknown) => {
          this.opts.onError?.(e);
          this.schedule(server);
        });
      },
      Math.max(1000, (left * 2) / 3),
    );
    this.timer.unref();
  }

  async rotate(server: WebhookServer): Promise<void> {
    const next = await issueServingCerts(this.opts.dnsNames, this.opts.validityMs);
    await this.opts.publish(`${this.current.caCert.trimEnd()}\n${next.caCert}`);
    server.setCertificate(next.cert, next.key);
    this.current = next;
    this.rotations++;
    this.schedule(server);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
