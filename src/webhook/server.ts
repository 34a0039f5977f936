// The admission webhook's HTTPS endpoint: POST /validate and /mutate take an AdmissionReview v1 and
// answer with one. A handler error (API unreachable) answers 500, so kube-apiserver applies the
// webhook's failurePolicy instead of reading it as a refusal. setCertificate() swaps the serving
// certificate for new connections without closing the listener (rotation without downtime); until the
// first one, handshakes fail and kube-apiserver applies the failurePolicy.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorText } from '../cni/errors.js';
import { HANDLERS } from './index.js';
import type { AdmissionRequest, AdmissionResponse, WebhookContext } from './review.js';

interface WebhookServerOptions {
  /** Without them every handshake fails until setCertificate(). */
  cert?: string;
  key?: string;
  host?: string;
  port?: number;
  context: WebhookContext;
}

async function review(path: string, req: AdmissionRequest, ctx: WebhookContext): Promise<AdmissionResponse> {
  const h = HANDLERS.get(`${req.kind.group}/${req.kind.kind}`);
  if (path === '/validate') {
    const problems = h?.validate ? await h.validate(req, ctx) : [];
    if (problems.length === 0) return { uid: req.uid, allowed: true };
    return {
      uid: req.uid,
      allowed: false,
      status: { code: 400, reason: 'BadRequest', message: problems.join('; ') },
    };
  }
  const ops = h?.mutate && req.operation !== 'DELETE' ? await h.mutate(req, ctx) : [];
  if (ops.length === 0) return { uid: req.uid, allowed: true };
  return {
    uid: req.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
  };
}

function reply(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: WebhookContext) {
  const path = new URL(req.url ?? '/', 'https://webhook').pathname;
  if (req.method !== 'POST' || (path !== '/validate' && path !== '/mutate'))
    return reply(res, 404, { message: `expected POST /validate or /mutate, found ${req.method} ${path}` });
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body: { apiVersion?: string; kind?: string; request?: AdmissionRequest };
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    return reply(res, 400, { message: `expected an AdmissionReview as JSON: ${errorText(e)}` });
  }
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview' || !body.request)
    return reply(res, 400, { message: 'expected an admission.k8s.io/v1 AdmissionReview with a request' });
  try {
    const response = await review(path, body.request, ctx);
    reply(res, 200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  } catch (e) {
    reply(res, 500, { message: `admission of ${body.request.kind.kind} failed: ${errorText(e)}` });
  }
}

export class WebhookServer {
  private readonly server: Server;
  constructor(private readonly opts: WebhookServerOptions) {
    const tls = opts.cert !== undefined && opts.key !== undefined ? { cert: opts.cert, key: opts.key } : {};
    this.server = createServer(tls, (req, res) => {
      void handle(req, res, opts.context).catch((e: unknown) => {
        if (!res.headersSent) reply(res, 500, { message: errorText(e) });
      });
    });
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve) =>
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '0.0.0.0', resolve),
    );
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  setCertificate(cert: string, key: string): void {
    this.server.setSecureContext({ cert, key });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
