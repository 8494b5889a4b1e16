#!/usr/bin/env node
/**
 * The fleet benchmark (issue 20). Prints one JSON object of figures on its last line.
 *
 *   npm run build && DATABASE_URL=postgres://root@127.0.0.1:5432/test node bench/fleet.js
 *   (`npm run bench -- fleet` runs it 3 times and takes medians; BENCH_SMOKE=1: seconds-long
 *   windows, 2,000 claimants, 1,000 events, and the single broker of KAFKA_BROKERS instead of a
 *   cluster of three, so that CI's smoke stays within a minute or two)
 *
 * The fleet of `npm run fleet`, built from the same pieces: a three-broker KRaft cluster
 * (infra/kafka/kafka.js startCluster: replication factor 3, min.insync.replicas=2), two
 * consent-audit instances on one database (writer and standby, appends routed to the writer by
 * HAProxy's TCP route, scripts/fleet-proxy.js), two gateways behind HAProxy (round robin), and two
 * job-match consumers in one group. It measures:
 *   - signed reads/s and p99 through HAProxy with one gateway behind it, then with two: the cost-
 *     of-trust read of bench/trust.js (its registry, claimants and consents, and its separate load
 *     process bench/trust-load.js: pre-signed requests, unique jti each, 64 in flight);
 *   - job-match ingest events/s (verify, consent, store, audit) with one consumer, then with two in
 *     one group, each on its own topic of 4 partitions, filled (`passerelle publish-matches`) once
 *     the group holds every partition, so no start-up rebalance is timed (bench/kafka-ingest.js's
 *     pipelineSeconds: from the first stored event until every event is stored and audited);
 *   - resident memory of the whole fleet, read from /proc while the two consumers ingest and the
 *     rest of the fleet is up: VmRSS now and VmHWM (each process's peak) summed by role, against
 *     6 GiB; PostgreSQL's share as the PSS (proportional: its backends share the buffer pool) of
 *     the server processes and of the backends serving this bench's two databases.
 * On two cores a second gateway or consumer mostly shows the overhead of the fleet, not a speed-up:
 * both instances share the same two cores with PostgreSQL, Kafka and the load process.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { installTs, ROOT } = require('./lib/ts');

installTs();
const { createTestDatabase, freePort, freePortBlock, runApp } = require('@passerelle/testing');
const { loadPseudonymKeyring } = require('@passerelle/crypto');
const { startProcess, waitFor, tcpOpen, httpUp } = require('./lib/stack');
const { createTrustRegistry, loadClaimants, startTrustLoader } = require('./trust');
const { pipelineSeconds, cpuTicks } = require('./kafka-ingest');
const { createMatchWorld, validEvents } = require(path.join(ROOT, 'test/matches/harness.ts'));
const { startHaproxy } = require(path.join(ROOT, 'scripts/fleet-proxy.js'));
const kafka = require(path.join(ROOT, 'infra/kafka/kafka.js'));

const { SMOKE, arg } = require('./lib/args');
const CLAIMANTS = arg('claimants', SMOKE ? 2000 : 10_000);
const SECONDS = arg('seconds', SMOKE ? 2 : 10);
const WARM = arg('warm', SMOKE ? 1 : 2);
const CONCURRENCY = arg('concurrency', 64);
const EVENTS = arg('events', SMOKE ? 1000 : 10_000);
const PARTITIONS = 4;
const MEMORY_TARGET_MIB = 6 * 1024;

const T0 = Date.now();
const log = (m) => process.stderr.write(`bench fleet: [${((Date.now() - T0) / 1000).toFixed(1)} s] ${m}\n`);
const mib = (kb) => Math.round(kb / 1024);

/** VmRSS and VmHWM (kB) of a process, or undefined once it is gone. */
function residentKb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Proportional set size (kB) of a process: its private pages plus its share of shared ones. */
function pssKb(pid) {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * The fleet's processes by role, from /proc: every descendant of this process that is one of the
 * apps, HAProxy or a broker (with the node watchdog kafka.js runs each broker under), plus the
 * broker(s) of `brokerPorts` when they are not ours (the smoke run's shared broker).
 */
function fleetProcesses(brokerPorts) {
  const procs = cpuTicks();
  const mine = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
      if (p === process.pid) return true;
      p = procs.get(p)?.ppid ?? 0;
    }
    return false;
  };
  const roleOf = (pid, cmd) => {
    if (cmd.includes('kafka.js __watchdog')) return mine(pid) ? 'kafka watchdog (node)' : undefined;
    if (/\bjava\b/.test(cmd) && cmd.includes('kafka.Kafka')) return mine(pid) || brokerPorts.some((p) => cmd.includes(`-${p}`)) ? 'kafka broker' : undefined;
    if (!mine(pid)) return undefined;
    if (/haproxy/.test(cmd)) return 'haproxy';
    for (const app of ['gateway', 'consent-audit', 'job-match-consumer']) if (cmd.includes(`apps/${app}/main.js`)) return app;
    return undefined;
  };
  const out = [];
  for (const [pid, { cmd }] of procs) {
    const role = roleOf(pid, cmd);
    if (role) out.push({ pid, role });
  }
  return out;
}

/** PSS (kB) of the PostgreSQL server(s) this bench's databases live on: server processes and our backends. */
function postgresKb(dbNames) {
  const procs = cpuTicks();
  const backend = (cmd) => /^postgres: (?:[^:]+: )?(\S+) (\S+) \S+\(\d+\)/.exec(cmd);
  const ours = [...procs].filter(([, p]) => backend(p.cmd) && dbNames.includes(backend(p.cmd)[2]));
  const servers = new Set(ours.map(([, p]) => p.ppid));
  let kb = 0;
  for (const [pid, p] of procs) {
    const isServer = servers.has(pid);
    const isAux = servers.has(p.ppid) && !backend(p.cmd);
    const isOurBackend = ours.some(([q]) => q === pid);
    if (isServer || isAux || isOurBackend) kb += pssKb(pid);
  }
  return { kb, backends: ours.length };
}

function memoryFigures(brokerPorts, dbNames) {
  const byRole = {};
  let [rss, hwm] = [0, 0];
  for (const { pid, role } of fleetProcesses(brokerPorts)) {
    const r = residentKb(pid);
    if (!r) continue;
    byRole[role] ??= { n: 0, rssKb: 0, hwmKb: 0 };
    byRole[role].n++;
    byRole[role].rssKb += r.rss;
    byRole[role].hwmKb += r.hwm;
    rss += r.rss;
    hwm += r.hwm;
  }
  const pg = postgresKb(dbNames);
  return {
    fleetRssMiB: mib(rss),
    fleetPeakRssMiB: mib(hwm),
    postgresPssMiB: mib(pg.kb),
    postgresBackends: pg.backends,
    fleetPeakWithPostgresMiB: mib(hwm + pg.kb),
    memoryTargetMiB: MEMORY_TARGET_MIB,
    ...Object.fromEntries(Object.entries(byRole).map(([role, v]) => [`peak rss MiB ${role} ×${v.n}`, mib(v.hwmKb)])),
  };
}

async function main() {
  if (!process.env.DATABASE_URL) {
    process.stderr.write('bench fleet: set DATABASE_URL (npm run bench starts PostgreSQL)\n');
    process.exit(2);
  }
  const started = [];
  const stops = [];
  let loader;
  try {
    // Kafka: three brokers (the smoke run takes the single broker of KAFKA_BROKERS).
    if (!SMOKE || !process.env.KAFKA_BROKERS) {
      const t0 = Date.now();
      const cluster = await kafka.startCluster({ basePort: await freePortBlock(6), quiet: true });
      stops.push(() => cluster.stop());
      process.env.KAFKA_BROKERS = cluster.brokers;
      log(`three brokers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cluster.brokers}`);
    }
    const brokers = process.env.KAFKA_BROKERS;
    const brokerPorts = brokers.split(',').map((b) => b.split(':')[1]);

    // The reads' side: one database, writer and standby consent-audit, two gateways, HAProxy.
    const db = await createTestDatabase('bench_fleet');
    stops.push(() => db.drop());
    const registry = await createTrustRegistry();
    stops.push(() => registry.cleanup());
    const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'));
    stops.push(async () => fs.rmSync(secretsDir, { recursive: true, force: true }));
    const keyring = await loadPseudonymKeyring(secretsDir);
    const common = { DATABASE_URL: db.url, PASSERELLE_ALLOW_OWNER_LOGIN: '1', KAFKA_BROKERS: brokers, PASSERELLE_REGISTRY: registry.file, PASSERELLE_SECRETS_DIR: secretsDir };
    const audits = [];
    for (const name of ['consent-audit-1', 'consent-audit-2']) {
      const a = { name, grpcPort: await freePort(), probePort: await freePort() };
      // the first creates the log key and takes the writer role; the second waits as standby
      a.p = startProcess(name, path.join(ROOT, 'dist/apps/consent-audit/main.js'), { ...common, CONSENT_AUDIT_URL: `127.0.0.1:${a.grpcPort}`, CONSENT_AUDIT_METRICS_PORT: String(a.probePort) });
      started.push(a.p);
      await waitFor(a.p, () => tcpOpen(a.grpcPort), 'gRPC port');
      audits.push(a);
    }
    const gateways = [];
    for (const name of ['gateway-1', 'gateway-2']) gateways.push({ name, port: await freePort() });
    const [frontAll, frontOne, ledgerFront] = [await freePort(), await freePort(), await freePort()];
    const proxy = await startHaproxy({
      gateways: { port: frontAll, servers: gateways.map((g) => ({ name: g.name, port: g.port })) },
      ledger: { port: ledgerFront, servers: audits.map((a) => ({ name: a.name, grpcPort: a.grpcPort, probePort: a.probePort })) },
    });
    stops.push(() => proxy.stop());
    for (const g of gateways) {
      g.p = startProcess(g.name, path.join(ROOT, 'dist/apps/gateway/main.js'), { ...common, GATEWAY_PORT: String(g.port), GATEWAY_PROBE_PORT: String(await freePort()), CONSENT_AUDIT_URL: `127.0.0.1:${ledgerFront}` });
      started.push(g.p);
    }
    for (const g of gateways) await waitFor(g.p, () => httpUp(`http://127.0.0.1:${g.port}/.well-known/jwks.json`), 'HTTP');
    // One gateway behind a proxy of its own, for the one-gateway figure.
    const proxyOne = await startHaproxy({ gateways: { port: frontOne, servers: [{ name: gateways[0].name, port: gateways[0].port }] } });
    stops.push(() => proxyOne.stop());
    const viaAll = `http://127.0.0.1:${frontAll}`;
    const viaOne = `http://127.0.0.1:${frontOne}`;
    await waitFor(gateways[1].p, () => httpUp(`${viaAll}/.well-known/jwks.json`), 'HTTP through the proxy');

    log('fleet up: two consent-audit, two gateways, HAProxy');
    const pseudonyms = await loadClaimants({ db, registry, keyring, gatewayUrl: viaAll, claimants: CLAIMANTS });
    loader = await startTrustLoader(secretsDir, registry, pseudonyms);
    const measure = (name, url) => loader.measure(name, url, { warmSeconds: WARM, seconds: SECONDS, concurrency: CONCURRENCY, unique: true });
    const loadAvg1mAtStart = os.loadavg()[0];
    const one = await measure('one gateway behind HAProxy', viaOne);
    const two = await measure('two gateways behind HAProxy', viaAll);
    loader.close();
    await proxyOne.stop();

    // The ingest side: one consumer, then two in one group, each on a pre-filled topic of its own.
    log('reads measured; the ingest side next');
    const world = await createMatchWorld({ partitions: PARTITIONS, subjects: SMOKE ? 50 : 1000 });
    stops.push(() => world.cleanup());
    const topicTwo = `${world.topic}.two`;
    stops.push(() => world.admin.deleteTopics({ topics: [topicTwo, `${topicTwo}.dlq`] }).catch(() => undefined));
    await world.admin.createTopics({ topics: [{ topic: topicTwo, numPartitions: PARTITIONS }, { topic: `${topicTwo}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    const file = (name) => {
      const f = path.join(world.secretsDir, `${name}.ndjson`);
      fs.writeFileSync(f, validEvents(world, EVENTS, name).map((e) => JSON.stringify(e)).join('\n') + '\n');
      return f;
    };
    const publish = (f, topic) => async () => {
      const r = await runApp('cli', ['publish-matches', '--file', f, '--agency', 'ca.esdc', '--key', world.keyFile, '--brokers', world.brokers, '--topic', topic], {}, 300_000);
      if (r.code !== 0) throw new Error(`publish-matches failed:\n${r.stderr}`);
    };
    const [fileOne, fileTwo] = [file('one'), file('two')];
    log('one consumer, then two; each topic filled once its group holds every partition');
    const oneConsumer = await pipelineSeconds(world, world.topic, world.group, { consumers: 1, events: EVENTS, fill: publish(fileOne, world.topic) });
    let memory;
    const twoConsumers = await pipelineSeconds(world, topicTwo, `${world.group}-two`, {
      consumers: 2,
      events: EVENTS,
      fill: publish(fileTwo, topicTwo),
      onWindow: async () => {
        memory = memoryFigures(brokerPorts, [new URL(db.url).pathname.slice(1), new URL(world.db.url).pathname.slice(1)]);
      },
    });
    if (!memory) throw new Error('the memory was not sampled during the two-consumer window');

    const figures = {
      oneGatewayRps: one.rps,
      oneGatewayP99Ms: one.p99Ms,
      twoGatewaysRps: two.rps,
      twoGatewaysP99Ms: two.p99Ms,
      twoOverOneGatewayRps: +(two.rps / one.rps).toFixed(3),
      // events stored during each window (kafka-ingest.js pipelineSeconds: whole chunks are stored at once)
      oneConsumerEventsPerSec: Math.round(oneConsumer.windowEvents / oneConsumer.wallSeconds),
      twoConsumersEventsPerSec: Math.round(twoConsumers.windowEvents / twoConsumers.wallSeconds),
      twoOverOneConsumerEventsPerSec: +(twoConsumers.windowEvents / twoConsumers.wallSeconds / (oneConsumer.windowEvents / oneConsumer.wallSeconds)).toFixed(3),
      ...memory,
      brokers: brokers.split(',').length,
      partitions: PARTITIONS,
      events: EVENTS,
      claimants: CLAIMANTS,
      concurrency: CONCURRENCY,
      seconds: SECONDS,
      cpus: os.cpus().length,
      loadAvg1mAtStart: +loadAvg1mAtStart.toFixed(2),
      loadAvg1mAtEnd: +os.loadavg()[0].toFixed(2),
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    loader?.kill();
    for (const p of started.reverse()) await p.stop();
    for (const stop of stops.reverse()) await stop().catch((e) => log(`cleanup: ${e.message}`));
  }
}

main().catch((e) => {
  process.stderr.write(`bench fleet: ${e.stack || e}\n`);
  process.exit(1);
});
