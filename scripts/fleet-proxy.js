'use strict';
/**
 * The fleet's load balancer: HAProxy (Debian's package, `apt-get install haproxy`), never a
 * hand-written one. Two jobs, one process:
 *
 *  - `gateways`: HTTP round robin over the gateway instances, health-checked on GET /health;
 *    a connection that fails before the request was sent is retried on another gateway
 *    (`retry-on conn-failure`), a request already sent is never replayed (its jti would be refused).
 *  - `ledger`: TCP passthrough to consent-audit's gRPC port (mutual TLS stays end to end), to the
 *    one instance whose probe says `"ledger":"writer"`. When that check fails the sessions to it
 *    are cut (`on-marked-down shutdown-sessions`), so gRPC clients reconnect to the new writer.
 *    Reads work on any instance; appends only on the writer, hence this route.
 *
 * Used by scripts/fleet.js and the chaos tests (test/chaos/).
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** How often HAProxy probes each server: the routing part of the writer handover bound. */
const CHECK_INTERVAL_MS = 250;

function haproxyBin() {
  for (const p of [process.env.HAPROXY, '/usr/sbin/haproxy', '/usr/local/sbin/haproxy', 'haproxy']) {
    if (!p) continue;
    const r = spawnSync(p, ['-v'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  throw new Error('HAProxy is not installed: `apt-get install -y haproxy` (Debian), or set HAPROXY to its path');
}

/**
 * @param {{ gateways?: { port: number, servers: Array<{ name: string, port: number }> },
 *           ledger?: { port: number, servers: Array<{ name: string, grpcPort: number, probePort: number }> } }} spec
 */
function haproxyConfig(spec) {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout check 1s',
    '  retries 2',
    '  option redispatch',
  ];
  if (spec.gateways) {
    lines.push(
      'frontend gateways',
      '  mode http',
      `  bind 127.0.0.1:${spec.gateways.port}`,
      '  default_backend gateways',
      'backend gateways',
      '  mode http',
      '  balance roundrobin',
      '  retry-on conn-failure',
      '  option httpchk GET /health',
      // A gateway under full load answers its health check late, not never: one slow check must
      // not take the only gateway out (503 for every caller). A dead one refuses connections, so
      // three failed checks still take it out within a second, and `retry-on conn-failure`
      // already sends the requests it refuses elsewhere.
      '  timeout check 3s',
      `  default-server inter ${CHECK_INTERVAL_MS} fall 3 rise 1`,
      ...spec.gateways.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`),
    );
  }
  if (spec.ledger) {
    lines.push(
      'frontend ledger',
      '  mode tcp',
      `  bind 127.0.0.1:${spec.ledger.port}`,
      '  default_backend ledger_writer',
      'backend ledger_writer',
      '  mode tcp',
      '  option httpchk GET /health',
      `  http-check expect string '"ledger":"writer"'`,
      `  default-server inter ${CHECK_INTERVAL_MS} fall 1 rise 1 on-marked-down shutdown-sessions`,
      ...spec.ledger.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.grpcPort} check port ${s.probePort}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Starts HAProxy in the foreground (-db) on a config; `stop()` ends that process only. */
async function startHaproxy(spec) {
  const bin = haproxyBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-haproxy-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, haproxyConfig(spec));
  const check = spawnSync(bin, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy refused its config:\n${check.stdout}${check.stderr}`);
  const proc = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const collect = (c) => lines.push(...c.toString('utf8').split('\n').filter(Boolean));
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  // Ready once every frontend accepts connections.
  const ports = [spec.gateways?.port, spec.ledger?.port].filter(Boolean);
  const net = require('node:net');
  const open = (port) => new Promise((r) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited at start:\n${lines.join('\n')}`);
    if ((await Promise.all(ports.map(open))).every(Boolean)) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`haproxy did not listen on ${ports.join(', ')} in 10 s:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: proc.pid,
    lines,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { haproxyConfig, startHaproxy, haproxyBin, CHECK_INTERVAL_MS };
