// A minimal etcd v3 client over the JSON gRPC gateway (POST /v3/kv/*, keys and values base64), so the
// store needs no gRPC dependency. Endpoints are tried in order; the first that answers is kept.
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';

export interface KeyValue {
  key: string;
  value: string;
  modRevision: string;
  version: string;
}

interface RangeOptions {
  /** Exclusive end of the range ('' = single key). */
  end?: string;
  limit?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
}

export interface Compare {
  key: string;
  target: 'VERSION' | 'MOD' | 'VALUE';
  /** version or mod revision, as etcd's decimal string; value for 'VALUE'. */
  equals: string;
}

export type Op =
  | { put: { key: string; value: string } }
  | { del: { key: string; end?: string } }
  | { range: { key: string } & RangeOptions }
  | { txn: { compare: Compare[]; success: Op[]; failure?: Op[] } };

interface RangeResult {
  kvs: KeyValue[];
  count: number;
  more: boolean;
}

/** Transport failure or an error status from every endpoint: the store cannot be reached. */
export class EtcdUnreachable extends Error {}

/** etcd answered but refused the request (bad request, too many ops, ...). */
export class EtcdRequestError extends Error {
  constructor(
    message: string,
    readonly grpcCode: number | undefined,
  ) {
    super(message);
  }
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** The smallest key greater than every key starting with `prefix` (our keys are ASCII). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function rangeBody(r: { key: string } & RangeOptions): Record<string, unknown> {
  return {
    key: b64(r.key),
    ...(r.end !== undefined ? { range_end: b64(r.end) } : {}),
    ...(r.limit !== undefined ? { limit: String(r.limit) } : {}),
    ...(r.keysOnly ? { keys_only: true } : {}),
    ...(r.countOnly ? { count_only: true } : {}),
  };
}

function compareBody(c: Compare): Record<string, unknown> {
  const base = { key: b64(c.key), target: c.target, result: 'EQUAL' };
  if (c.target === 'VERSION') return { ...base, version: c.equals };
  if (c.target === 'MOD') return { ...base, mod_revision: c.equals };
  return { ...base, value: b64(c.equals) };
}

function opBody(op: Op): Record<string, unknown> {
  if ('put' in op) return { request_put: { key: b64(op.put.key), value: b64(op.put.value) } };
  if ('del' in op) {
    const end = op.del.end;
    return { request_delete_range: { key: b64(op.del.key), ...(end ? { range_end: b64(end) } : {}) } };
  }
  if ('range' in op) return { request_range: rangeBody(op.range) };
  return { request_txn: txnBody(op.txn.compare, op.txn.success, op.txn.failure ?? []) };
}

function txnBody(compare: Compare[], success: Op[], failure: Op[]): Record<string, unknown> {
  return { compare: compare.map(compareBody), success: success.map(opBody), failure: failure.map(opBody) };
}

type RawKv = { key?: string; value?: string; mod_revision?: string; version?: string };
type RawRange = { kvs?: RawKv[]; count?: string; more?: boolean };

function rangeResult(raw: RawRange | undefined): RangeResult {
  return {
    kvs: (raw?.kvs ?? []).map((kv) => ({
      key: unb64(kv.key),
      value: unb64(kv.value),
      modRevision: kv.mod_revision ?? '0',
      version: kv.version ?? '0',
    })),
    count: Number(raw?.count ?? 0),
    more: raw?.more === true,
  };
}

export class EtcdClient {
  private preferred = 0;
  private agents: { http: HttpAgent; https: HttpsAgent } | undefined;
  private transport:
    | Promise<{ http: typeof import('node:http'); https: typeof import('node:https') }>
    | undefined;

  constructor(
    readonly endpoints: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  close(): void {
    this.agents?.http.destroy();
    this.agents?.https.destroy();
  }

  /**
   * node:http and node:https on first request, not at import: a plugin process with another store
   * never pays for them, and a start-up snapshot cannot hold them (src/cni/snapshot.ts).
   */
  private modules() {
    // require, not import(): a process started from a start-up snapshot cannot run import(). A
    // built-in resolves from any base path.
    this.transport ??= Promise.resolve().then(() => {
      const load = createRequire(process.execPath);
      const http = load('node:http') as typeof import('node:http');
      const https = load('node:https') as typeof import('node:https');
      // Keep-alive sockets are unref'd by node while idle, so they never hold a CNI process open.
      this.agents ??= {
        http: new http.Agent({ keepAlive: true }),
        https: new https.Agent({ keepAlive: true }),
      };
      return { http, https };
    });
    return this.transport;
  }

  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    return rangeResult((await this.call('/v3/kv/range', rangeBody({ key, ...opts }))) as RawRange);
  }

  async put(key: string, value: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  async deleteRange(key: string, end?: string): Promise<number> {
    const r = (await this.call('/v3/kv/deleterange', {
      key: b64(key),
      ...(end !== undefined ? { range_end: b64(end) } : {}),
    })) as { deleted?: string };
    return Number(r.deleted ?? 0);
  }

  /** Every key under a prefix, in pages, so a large store never makes one huge response. */
  async scan(prefix: string, page = 1000): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    const end = prefixEnd(prefix);
    let from = prefix;
    for (;;) {
      const r = await this.range(from, { end, limit: page });
      out.push(...r.kvs);
      const last = r.kvs[r.kvs.length - 1];
      if (!r.more || last === undefined) return out;
      from = `${last.key}\0`;
    }
  }

  /** One transaction; `ranges` holds the range results of the branch that ran, in op order. */
  async txn(
    compare: Compare[],
    success: Op[],
    failure: Op[] = [],
  ): Promise<{ succeeded: boolean; ranges: RangeResult[] }> {
    const r = (await this.call('/v3/kv/txn', txnBody(compare, success, failure))) as {
      succeeded?: boolean;
      responses?: { response_range?: RawRange }[];
    };
    const ranges = (r.responses ?? []).filter((x) => x.response_range !== undefined);
    return { succeeded: r.succeeded === true, ranges: ranges.map((x) => rangeResult(x.response_range)) };
  }

  private async call(path: string, body: unknown): Promise<unknown> {
    const failures: Array<[string, EtcdUnreachable]> = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const idx = (this.preferred + i) % this.endpoints.length;
      const endpoint = this.endpoints[idx]!;
      try {
        const out = await this.post(endpoint, path, body);
        this.preferred = idx;
        return out;
      } catch (err) {
        if (!(err instanceof EtcdUnreachable)) throw err;
        failures.push([endpoint, err]);
      }
    }
    // Every endpoint's own failure names it; the first travels as the cause.
    throw new EtcdUnreachable(failures.map(([at, e]) => `${at}: ${e.message}`).join('; '), {
      cause: failures[0]?.[1],
    });
  }

  private async post(endpoint: string, path: string, body: unknown): Promise<unknown> {
    const url = new URL(path, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
    const tls = url.protocol === 'https:';
    const payload = Buffer.from(JSON.stringify(body));
    const { http, https } = await this.modules();
    const agents = this.agents!;
    return new Promise((resolve, reject) => {
      const req = (tls ? https.request : http.request)(
        url,
        {
          method: 'POST',
          agent: tls ? agents.https : agents.http,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new EtcdUnreachable(e.message, { cause: e })));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: { error?: string; message?: string; code?: number } | undefined;
            try {
              parsed = JSON.parse(text) as typeof parsed;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status === 200 && parsed !== undefined && parsed.error === undefined) return resolve(parsed);
            const msg = parsed?.message ?? parsed?.error ?? text.slice(0, 200);
            // gRPC 14 UNAVAILABLE / 4 DEADLINE_EXCEEDED and HTTP 5xx without a gRPC code: no leader,
            // member stopping — another endpoint may serve.
            const code = parsed?.code;
            if (code === 14 || code === 4 || (code === undefined && status >= 500)) {
              return reject(new EtcdUnreachable(`HTTP ${status}: ${msg}`));
            }
            reject(new EtcdRequestError(`etcd ${path} failed (HTTP ${status}): ${msg}`, code));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new EtcdUnreachable(e.message, { cause: e })));
      req.end(payload);
    });
  }
}
