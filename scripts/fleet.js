'use strict';
/**
 * `npm run fleet`: Passerelle as a fleet on one machine, with the same real components as
 * `npm start`: two gateways behind HAProxy (round robin), two consent-audit instances (one ledger
 * writer, one standby; appends reach the writer through HAProxy's TCP route, see fleet-proxy.js),
 * two job-match consumers in one group, a three-broker KRaft Kafka (replication factor 3,
 * min.insync.replicas=2), on one PostgreSQL (DATABASE_URL, or an embedded one). Prints every
 * address; Ctrl-C stops everything it started.
 *
 * Ports: FLEET_BASE_PORT (default 3100) + 0 the proxy's gateway front, +1 the proxy's ledger front,
 * +2/+3 the gateways, +4/+5 their probes, +6/+7 consent-audit gRPC, +8/+9 their probes, +10/+11
 * the consumers' probes; the Kafka cluster on FLEET_KAFKA_BASE_PORT (default 19192) and up.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureServices } = require('./services');
const { ensureLoginPasswords } = require('../infra/postgres/logins');
const kafka = require('../infra/kafka/kafka.js');
const { startHaproxy } = require('./fleet-proxy');

const root = path.join(__dirname, '..');
const children = [];
const stops = [];
let stopping = false;

const say = (msg) => process.stdout.write(`[fleet] ${msg}\n`);
const runCli = (args, env) => execFileSync(process.execPath, [path.join(root, 'dist/apps/cli/main.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

function startApp(label, app, env, readyPattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist/apps', app, 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push({ label, child });
    let ready = false;
    let buf = '';
    const onData = (chunk) => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) {
        if (process.env.FLEET_VERBOSE === '1') process.stdout.write(`${label} ${line}\n`);
        if (!ready && readyPattern.test(line)) {
          ready = true;
          resolve(child);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      if (!ready) reject(new Error(`${label} exited (${code ?? signal}) before it was ready`));
      else if (!stopping) say(`${label} stopped (${code ?? signal}); the rest of the fleet keeps running`);
    });
  });
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const { child } of [...children].reverse()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.on('exit', r)))));
  for (const stop of stops.reverse()) await stop().catch((e) => say(`stop failed: ${e.message}`));
  say('stopped');
  process.exit(code);
}

async function main() {
  const t0 = Date.now();
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  const base = Number(process.env.FLEET_BASE_PORT || 3100);
  const port = (i) => base + i;

  say('starting a three-broker Kafka cluster…');
  const cluster = await kafka.startCluster({ basePort: Number(process.env.FLEET_KAFKA_BASE_PORT || 19192) });
  stops.push(cluster.stop);
  process.env.KAFKA_BROKERS = cluster.brokers;
  const services = await ensureServices({ pgPort: 54339, log: say });
  stops.push(services.stop);
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit', cwd: root });

  const env = { ...process.env, ...services.env, KAFKA_BROKERS: cluster.brokers, NODE_ENV: process.env.NODE_ENV || 'development' };
  env.PASSERELLE_SECRETS_DIR = env.PASSERELLE_SECRETS_DIR || path.join(root, '.secrets');
  fs.mkdirSync(env.PASSERELLE_SECRETS_DIR, { recursive: true, mode: 0o700 });
  if (!env.PASSERELLE_REGISTRY) {
    const out = path.join(env.PASSERELLE_SECRETS_DIR, 'demo-registry.json');
    runCli(['demo', 'init', '--registry-template', path.join(root, 'infra/registry/demo.json'), '--secrets', env.PASSERELLE_SECRETS_DIR, '--out', out], env);
    env.PASSERELLE_REGISTRY = out;
  }
  const tlsDir = path.join(env.PASSERELLE_SECRETS_DIR, 'tls');
  runCli(['certs', 'issue', '--dir', tlsDir], env);
  const tls = (app) => ({ PASSERELLE_TLS_CA: path.join(tlsDir, 'ca.crt'), PASSERELLE_TLS_CERT: path.join(tlsDir, `${app}.crt`), PASSERELLE_TLS_KEY: path.join(tlsDir, `${app}.key`) });
  const ownerUrl = env.MIGRATION_DATABASE_URL || env.DATABASE_URL;
  execFileSync(process.execPath, [path.join(__dirname, 'migration-run.js')], { cwd: root, env: { ...env, MIGRATION_DATABASE_URL: ownerUrl }, stdio: ['ignore', 'ignore', 'inherit'] });
  const { urls } = await ensureLoginPasswords(ownerUrl, env.PASSERELLE_SECRETS_DIR);
  const { MIGRATION_DATABASE_URL: _owner, ...appEnv } = env;
  const envOf = (app, extra) => ({ ...appEnv, ...tls(app), DATABASE_URL: urls[app], ...extra });

  const audits = [0, 1].map((i) => ({ name: `consent-audit-${i + 1}`, grpcPort: port(6 + i), probePort: port(8 + i) }));
  const gateways = [0, 1].map((i) => ({ name: `gateway-${i + 1}`, port: port(2 + i), probePort: port(4 + i) }));
  // The first consent-audit creates the log key; the second loads it and waits as standby.
  for (const a of audits) {
    await startApp(a.name, 'consent-audit', envOf('consent-audit', { CONSENT_AUDIT_URL: `127.0.0.1:${a.grpcPort}`, CONSENT_AUDIT_METRICS_PORT: String(a.probePort) }), /consent-audit listening/);
  }
  const proxy = await startHaproxy({
    gateways: { port: port(0), servers: gateways.map((g) => ({ name: g.name, port: g.port })) },
    ledger: { port: port(1), servers: audits.map((a) => ({ name: a.name, grpcPort: a.grpcPort, probePort: a.probePort })) },
  });
  stops.push(proxy.stop);
  const ledgerRoute = `127.0.0.1:${port(1)}`;
  await Promise.all(
    gateways.map((g) => startApp(g.name, 'gateway', envOf('gateway', { GATEWAY_PORT: String(g.port), GATEWAY_PROBE_PORT: String(g.probePort), CONSENT_AUDIT_URL: ledgerRoute }), /gateway listening/)),
  );
  await Promise.all(
    [0, 1].map((i) =>
      startApp(`consumer-${i + 1}`, 'job-match-consumer', envOf('job-match-consumer', { CONSENT_AUDIT_URL: ledgerRoute, CONSUMER_METRICS_PORT: String(port(10 + i)) }), /job-match-consumer running/),
    ),
  );

  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  say(`load balancer  http://127.0.0.1:${port(0)}  (HAProxy, round robin over the gateways: POST /graphql, /audit/*, /.well-known/jwks.json)`);
  for (const g of gateways) say(`${g.name.padEnd(15)}http://127.0.0.1:${g.port}  (probe http://127.0.0.1:${g.probePort}/health)`);
  say(`ledger route   grpc ${ledgerRoute}  (HAProxy TCP to the instance whose probe says "ledger":"writer")`);
  for (const a of audits) say(`${a.name.padEnd(15)}grpc 127.0.0.1:${a.grpcPort}, mutual TLS  (probe http://127.0.0.1:${a.probePort}/health: roles.ledger)`);
  for (const i of [0, 1]) say(`consumer-${i + 1}     group ${env.JOB_MATCH_GROUP || 'passerelle.job-match-consumer'}  (probe http://127.0.0.1:${port(10 + i)}/health)`);
  for (const n of cluster.nodes) say(`kafka node ${n.nodeId}   ${n.address}  (replication factor 3, min.insync.replicas=2)`);
  say(`postgres       ${env.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
  say(`haproxy        pid ${proxy.pid}`);
  say('Ctrl-C stops everything');
}

main().catch(async (e) => {
  say(`failed to start: ${e.message}`);
  await shutdown(1);
});
