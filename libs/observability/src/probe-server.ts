import http from 'node:http';
import type { Registry } from 'prom-client';
import { checkHealth, type HealthCheck } from './health';

/**
 * The operators' probe, on its own port bound to loopback by default (consent-audit,
 * job-match-consumer, and the gateway beside its public API): `GET /health` with each
 * dependency's status and error detail (200 when every check passes, 503 otherwise), with the
 * instance's `roles` when it has any (consent-audit: `{ "ledger": "writer" | "standby" }`, which a
 * load balancer's health check can match to route appends to the writer), and `GET /metrics`.
 */
export async function startProbeServer(opts: {
  host?: string;
  port: number;
  registry: Registry;
  checks: Record<string, HealthCheck>;
  roles?: () => Record<string, string>;
}): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    try {
      if (req.url === '/health') {
        const report = { ...(await checkHealth(opts.checks)), ...(opts.roles ? { roles: opts.roles() } : {}) };
        res.writeHead(report.status === 'up' ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(report));
      } else if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(await opts.registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'not_found', message: 'only /health and /metrics are served here' } }));
      }
    } catch {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'probe failed' } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
