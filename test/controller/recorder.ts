// A recording front for the test API server: each client gets a kubeconfig with its own bearer
// token pointing here; every request is forwarded unchanged and logged twice (arrival, response)
// with the identity the token names, in one order, so a test can say who wrote what when.
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

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
  /** Writes a kubeconfig for `who` (token "token-<who>") into dir; returns its path. */
  kubeconfig(dir: string, who: string): string;
  stop(): Promise<void>;
}

export async function startRecorder(upstream: string): Promise<Recorder> {
  const log: Logged[] = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const token = /^Bearer token-(.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '?';
    const base = { who: token, method: req.method ?? 'GET', path: req.url ?? '/' };
    log.push({ seq: log.length, phase: 'request', ...base });
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        log.push({ seq: log.length, phase: 'response', ...base, status: r.statusCode ?? 0 });
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    log,
    kubeconfig: (dir, who) => {
      const path = join(dir, `kubeconfig-${who}`);
      writeFileSync(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: who, user: { token: `token-${who}` } }],
          contexts: [{ name: 'test', context: { cluster: 'test', user: who, namespace: 'default' } }],
          'current-context': 'test',
        }),
      );
      return path;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
