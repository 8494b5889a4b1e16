#!/usr/bin/env node
/**
 * Kafka ingest benchmark (plain Node; not part of npm test). Prints one JSON object.
 *
 *   DATABASE_URL=postgres://root@127.0.0.1:5432/test KAFKA_BROKERS=127.0.0.1:9092 node bench/kafka-ingest.js [--events 10000] [--partitions 3]
 *   (BENCH_SMOKE=1: 2,000 events)
 *
 * Needs the built apps (`npm run build`). One scratch database, topic and group per run:
 * 1. pre-fills the topic with N signed events through `passerelle publish-matches` (publish rate);
 * 2. a bare kafkajs consumer reads the whole topic (the ceiling: fetch + no work);
 * 3. the built job-match-consumer takes the same topic in: verify, decode, validate, translate,
 *    consent (one Consents.InForce per chunk), store (one transaction per chunk), dead-letter, audit
 *    (one Ledger.AppendBatch per chunk), commit. Timed from its first stored event until every
 *    event is stored and audited.
 * consent-audit is the real built process (test/matches/harness.ts), so the figure includes the
 * ledger's group-commit latency (it was an in-process stand-in before issue 14).
 * The result: both rates and their ratio.
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const { installTs, ROOT } = require('./lib/ts');
installTs();

const { createMatchWorld, validEvents } = require(path.join(ROOT, 'test/matches/harness.ts'));
const { appMain } = require(path.join(ROOT, 'libs/testing/src/processes.ts'));
const { testTlsEnv } = require(path.join(ROOT, 'libs/testing/src/test-pki.ts'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('events', process.env.BENCH_SMOKE === '1' ? 2000 : 10_000);
const PARTITIONS = arg('partitions', 3);

async function bareConsumerSeconds(world) {
  const consumer = world.kafka.consumer({ groupId: `${world.group}-bare` });
  let seen = 0;
  let joinedAt = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt = performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topic: world.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      seen += batch.messages.length;
      resolveOffset(batch.lastOffset());
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
      await heartbeat();
    },
  });
  const deadline = Date.now() + 300_000;
  while (seen < EVENTS) {
    if (Date.now() > deadline) throw new Error(`the bare consumer saw ${seen} of ${EVENTS} events in 300 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - joinedAt) / 1000;
  await consumer.disconnect();
  return seconds;
}

async function pipelineSeconds(world) {
  appMain('job-match-consumer'); // fails early with a clear message when the build is missing
  const proc = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), path.join(ROOT, 'dist/apps/job-match-consumer/main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: world.db.url,
      // Bench databases are migrated by the apps at start, as the owner: development mode (libs/persistence/src/app-login.ts).
      PASSERELLE_ALLOW_OWNER_LOGIN: '1',
      KAFKA_BROKERS: world.brokers,
      PASSERELLE_REGISTRY: world.registry.file,
      PASSERELLE_SECRETS_DIR: world.secretsDir,
      CONSENT_AUDIT_URL: world.consentAudit.url,
      ...testTlsEnv('job-match-consumer'),
      CONSUMER_METRICS_PORT: String(20000 + Math.floor(Math.random() * 20000)),
      JOB_MATCH_TOPIC: world.topic,
      JOB_MATCH_GROUP: world.group,
      // to compare: JOB_MATCH_VERIFY_THREADS=0 (signatures on the main thread), 1 (the default), 2
      ...(process.env.JOB_MATCH_VERIFY_THREADS ? { JOB_MATCH_VERIFY_THREADS: process.env.JOB_MATCH_VERIFY_THREADS } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c) => (output += c));
  proc.stderr.on('data', (c) => (output += c));
  // LOG_LEVEL=warn hides the join line: time from the first stored event instead, plus one
  // chunk's worth, by polling the database for the first and the last audited row.
  try {
    const deadline = Date.now() + 300_000;
    let started = 0;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`job-match-consumer exited:\n${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out:\n${output.slice(-2000)}`);
      const processed = await world.count('SELECT count(*) AS n FROM processed_events').catch(() => 0);
      if (processed > 0 && !started) started = performance.now();
      if ((await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL').catch(() => 0)) >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const [{ first, last }] = await require(path.join(ROOT, 'libs/testing/src/database.ts')).queryAsOwner(
      world.db.url,
      'SELECT extract(epoch FROM min(processed_at)) AS first, extract(epoch FROM max(processed_at)) AS last FROM processed_events',
    );
    return { wallSeconds: (performance.now() - started) / 1000, storeSpanSeconds: Number(last) - Number(first) };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

async function main() {
  if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) {
    process.stderr.write('kafka-ingest: set DATABASE_URL and KAFKA_BROKERS (npm run bench starts both)\n');
    process.exit(2);
  }
  const world = await createMatchWorld({ partitions: PARTITIONS, subjects: Math.min(1000, EVENTS) });
  try {
    const events = validEvents(world, EVENTS);
    const t0 = performance.now();
    const published = await world.publishFile(events);
    if (published.code !== 0) throw new Error(`publish-matches failed:\n${published.stderr}`);
    const publishSeconds = (performance.now() - t0) / 1000;
    const bare = await bareConsumerSeconds(world);
    const pipeline = await pipelineSeconds(world);
    const endToEnd = EVENTS / pipeline.wallSeconds;
    const result = {
      events: EVENTS,
      partitions: PARTITIONS,
      publishEventsPerSec: Math.round(EVENTS / publishSeconds),
      bareEventsPerSec: Math.round(EVENTS / bare),
      endToEndEventsPerSec: Math.round(endToEnd),
      ratio: Number((endToEnd / (EVENTS / bare)).toFixed(3)),
      storeSpanSeconds: Number(pipeline.storeSpanSeconds.toFixed(3)),
      consentAudit: 'the built consent-audit process (Ledger.AppendBatch, Consents.InForce)',
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await world.cleanup();
  }
}

main().catch((e) => {
  process.stderr.write(`kafka-ingest: ${e.stack ?? e}\n`);
  process.exit(1);
});
