// /metrics, /healthz (the process and its election loop are alive) and /readyz (the API server
// answered since start: a replica that cannot reach it must not count as ready, leader or not).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

interface Probes {
  healthy(): boolean;
  ready(): boolean;
}

export async function serveHttp(
  host: string,
  port: number,
  metrics: Metrics,
  probes: Probes,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (path === '/metrics') return answer(200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    if (path === '/healthz')
      return probes.healthy() ? answer(200, 'ok\n') : answer(500, 'election loop stopped\n');
    if (path === '/readyz')
      return probes.ready() ? answer(200, 'ok\n') : answer(503, 'API server not reached yet\n');
    answer(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
