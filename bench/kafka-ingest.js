#!/usr/bin/env node
/**
 * Kafka ingest benchmark (plain Node; not part of npm test). Prints one JSON object.
 *
 *   DATABASE_URL=postgres://root@127.0.0.1:5432/test KAFKA_BROKERS=127.0.0.1:9092 node bench/kafka-ingest.js [--events 10000] [--partitions 3]
 *   (BENCH_SMOKE=1: 2,000 events; `npm run bench -- kafka-ingest` runs it 3 times and takes medians)
 *
 * Needs the built apps (`npm run build`). One scratch database, two topics and groups per run:
 * 1. pre-fills topic B with N events signed by batch (§6.1, `passerelle publish-matches`' default)
 *    and topic E with N other events signed one by one (`--per-event-signatures`);
 * 2. a bare kafkajs consumer reads the whole of topic B (the ceiling: fetch + no work);
 * 3. the built job-match-consumer takes topic B in, then (a new process, a new group) topic E:
 *    verify, decode, validate, translate, consent (one Consents.InForce per chunk), store and audit
 *    (one transaction per chunk: matches, processed rows, entries sequenced), dead-letter, commit. Each
 *    timed from its first stored event until every event is stored and audited.
 * consent-audit is the real built process (test/matches/harness.ts). During each pipeline window
 * the CPU time of every process on the machine is sampled from /proc, to say which process holds
 * which core (`cores`: CPU-seconds ÷ wall seconds, by process).
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const { installTs, ROOT } = require('./lib/ts');
const { cpuTicks, coresByRole: coresOf, descendsFrom } = require('./lib/cores');
installTs();

const { createMatchWorld, validEvents } = require(path.join(ROOT, 'test/matches/harness.ts'));
const { appMain, freePort, runApp } = require(path.join(ROOT, 'libs/testing/src/processes.ts'));
const { queryAsOwner } = require(path.join(ROOT, 'libs/testing/src/database.ts'));
const fs = require('node:fs');
const { testTlsEnv } = require(path.join(ROOT, 'libs/testing/src/test-pki.ts'));
const { JobMatchEvent } = require(path.join(ROOT, 'libs/messaging/src/job-match/job-match.proto.ts'));
const { Pool } = require('pg');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
// 30,000: with whole chunks of 1,000 stored at once, a window of 10,000 events held only a few chunks per partition.
const EVENTS = arg('events', process.env.BENCH_SMOKE === '1' ? 2000 : 30_000);
const PARTITIONS = arg('partitions', 3);

/** Cores held per process during a window (CPU-seconds ÷ wall seconds), by role. */
function coresByRole(before, after, seconds, consumerPids, consumerRole = 'job-match-consumer') {
  const port = (process.env.KAFKA_BROKERS || '').split(',')[0].split(':')[1];
  return coresOf(before, after, seconds, (pid, cmd) => {
    if (consumerPids.includes(pid)) return consumerRole;
    if (pid === process.pid) return 'bench (publisher done; polls the database)';
    if (/postgres/.test(cmd)) return 'postgres (all sessions of the machine)';
    if (/kafka/i.test(cmd) && /java/.test(cmd) && (!port || cmd.includes(port))) return 'kafka broker';
    if (descendsFrom(pid, process.pid, before, after) && /consent-audit/.test(cmd)) return 'consent-audit';
    return 'other processes (other sessions on the machine)';
  });
}

async function bareConsumerSeconds(world) {
  // The consumer under test fetches up to 4 MiB per partition (job-match.consumer.ts): the peer too.
  const consumer = world.kafka.consumer({ groupId: `${world.group}-bare`, maxBytesPerPartition: 4 * 1024 * 1024 });
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

/**
 * The store-only peer: a kafkajs consumer that decodes each event and stores it as the pipeline
 * does (the same two `INSERT … SELECT unnest` statements as MatchesRepository.storeRows, kept in step by hand, into copies of processed_events and
 * job_matches with the same indexes; one transaction and one offset commit per fetched batch;
 * the partitions taken as the consumer takes them) and does nothing else: no signature, no
 * pseudonym translation, no schema check, no consent, no audit. What ingest costs on this box
 * before any trust: the ceiling of any trust design that stores each event once.
 */
async function storeOnlySeconds(world) {
  await queryAsOwner(world.db.url, 'CREATE TABLE bench_store_processed (LIKE processed_events INCLUDING ALL); CREATE TABLE bench_store_matches (LIKE job_matches INCLUDING ALL)');
  const pool = new Pool({ connectionString: world.db.url, max: PARTITIONS });
  const consumer = world.kafka.consumer({ groupId: `${world.group}-store-only`, maxBytesPerPartition: 4 * 1024 * 1024 });
  let stored = 0;
  let joinedAt = 0;
  let failure;
  let before;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
    before = cpuTicks();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: world.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        try {
          const rows = batch.messages.map((m) => ({ event: JobMatchEvent.decode(m.value), offset: m.offset }));
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const inserted = await client.query(
              `INSERT INTO bench_store_processed (publisher, event_id, topic, kafka_partition, kafka_offset)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[])
               ON CONFLICT (publisher, event_id) DO NOTHING RETURNING event_id`,
              [rows.map(() => 'ca.esdc'), rows.map((r) => r.event.eventId), rows.map(() => batch.topic), rows.map(() => batch.partition), rows.map((r) => r.offset)],
            );
            const insertedIds = new Set(inserted.rows.map((r) => r.event_id));
            const fresh = rows.filter((r) => insertedIds.has(r.event.eventId)).map((r) => r.event);
            const p = (f) => fresh.map(f);
            await client.query(
              `INSERT INTO bench_store_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city,
                                                hourly_wage_cents, language_requirement, posted_at, score, matched_at, min_english_clb, min_french_nclc)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                    $10::bigint[], $11::text[], $12::timestamptz[], $13::float8[], $14::timestamptz[], $15::smallint[], $16::smallint[])`,
              [
                p(() => 'ca.esdc'),
                p((e) => e.eventId),
                p((e) => e.batchId),
                p((e) => e.pseudonym),
                p((e) => e.posting.id),
                p((e) => e.posting.title),
                p((e) => e.posting.nocCode),
                p((e) => e.posting.province),
                p((e) => e.posting.city),
                p((e) => String(e.posting.hourlyWageCents)),
                p((e) => e.posting.languageRequirement),
                p((e) => e.posting.postedAt || null),
                p((e) => e.score),
                p((e) => e.matchedAt),
                p((e) => e.posting.minEnglishClb ?? null),
                p((e) => e.posting.minFrenchNclc ?? null),
              ],
            );
            await client.query('COMMIT');
          } catch (e) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw e;
          } finally {
            client.release();
          }
          resolveOffset(batch.lastOffset());
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
          stored += rows.length;
          await heartbeat();
        } catch (e) {
          failure ??= e;
        }
      },
    });
    const deadline = Date.now() + 300_000;
    while (stored < EVENTS) {
      if (failure) throw new Error(`the store-only consumer failed: ${failure.message}`);
      if (Date.now() > deadline) throw new Error(`the store-only consumer stored ${stored} of ${EVENTS} events in 300 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - joinedAt) / 1000;
    const cores = coresByRole(before, cpuTicks(), seconds, [process.pid], 'store-only consumer (this bench process)');
    const [{ n }] = await queryAsOwner(world.db.url, 'SELECT count(*)::int AS n FROM bench_store_matches');
    if (n !== EVENTS) throw new Error(`the store-only consumer stored ${n} matches, expected ${EVENTS}`);
    return { seconds, cores };
  } finally {
    await consumer.disconnect();
    await pool.end();
  }
}

/**
 * Runs `consumers` job-match-consumer processes in one group on `topic` (pre-filled with `events`
 * events) and times them from the first stored event until every event is stored and audited.
 * With `fill`, the topic starts empty: `fill()` is called once every consumer holds partitions
 * (the group stable with all its members), so the window holds no start-up rebalance.
 * `onWindow()` is called once, as soon as they have stored their first event (e.g. to sample memory).
 */
async function pipelineSeconds(world, topic, group, { consumers = 1, events = EVENTS, onWindow, fill } = {}) {
  appMain('job-match-consumer'); // fails early with a clear message when the build is missing
  // Ports from the OS: a random one in 20000–40000 once collided with an ephemeral port of an open connection.
  const ports = [];
  for (let i = 0; i < consumers; i++) ports.push(await freePort());
  const procs = ports.map((port) => spawnConsumer(world, topic, group, port));
  let output = '';
  for (const proc of procs) {
    proc.stdout.on('data', (c) => (output = (output + c).slice(-20_000)));
    proc.stderr.on('data', (c) => (output = (output + c).slice(-20_000)));
  }
  // LOG_LEVEL=warn hides the join line: time from the first stored event instead, by polling the
  // database, counting only the events stored after that first observation.
  try {
    const deadline = Date.now() + 300_000;
    const count = async (sql) => Number((await queryAsOwner(world.db.url, sql, [topic]).catch(() => [{ n: 0 }]))[0].n);
    let started = 0;
    let storedAtStart = 0;
    let before;
    let sampled = false;
    if (fill) {
      for (;;) {
        if (procs.some((proc) => proc.exitCode !== null)) throw new Error(`job-match-consumer exited:\n${output.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`the group never had ${consumers} members:\n${output.slice(-2000)}`);
        const [g] = (await world.admin.describeGroups([group])).groups;
        if (g.state === 'Stable' && g.members.length === consumers && g.members.every((m) => m.memberAssignment.length > 0)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await fill();
    }
    for (;;) {
      const gone = procs.find((proc) => proc.exitCode !== null);
      if (gone) throw new Error(`job-match-consumer exited:\n${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out:\n${output.slice(-2000)}`);
      if (!started) {
        const stored = await count('SELECT count(*) AS n FROM processed_events WHERE topic = $1');
        if (stored > 0) {
          started = performance.now();
          storedAtStart = stored;
          before = cpuTicks();
        }
      }
      if (onWindow && started && !sampled) {
        sampled = true;
        await onWindow();
      }
      if ((await count('SELECT count(*) AS n FROM processed_events WHERE topic = $1 AND ledger_seq IS NOT NULL')) >= events) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const cores = coresByRole(before, cpuTicks(), wallSeconds, procs.map((p) => p.pid));
    const [{ first, last }] = await queryAsOwner(
      world.db.url,
      'SELECT extract(epoch FROM min(processed_at)) AS first, extract(epoch FROM max(processed_at)) AS last FROM processed_events WHERE topic = $1',
      [topic],
    );
    // The rate over the window: the events stored during it. Whole chunks are stored at once, so
    // the first observation already holds up to a chunk per partition, stored before the window.
    return { wallSeconds, windowEvents: events - storedAtStart, storeSpanSeconds: Number(last) - Number(first), cores };
  } finally {
    for (const proc of procs) proc.kill('SIGTERM');
    await Promise.all(procs.map((proc) => (proc.exitCode !== null || proc.signalCode !== null ? undefined : new Promise((r) => proc.once('exit', r)))));
  }
}

/** One built job-match-consumer process on the world's database and consent-audit. */
function spawnConsumer(world, topic, group, metricsPort) {
  return spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), path.join(ROOT, 'dist/apps/job-match-consumer/main.js')], {
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
      CONSUMER_METRICS_PORT: String(metricsPort),
      JOB_MATCH_TOPIC: topic,
      JOB_MATCH_GROUP: group,
      // to compare: JOB_MATCH_VERIFY_THREADS=0 (signatures on the main thread), 1 (the default), 2
      ...(process.env.JOB_MATCH_VERIFY_THREADS ? { JOB_MATCH_VERIFY_THREADS: process.env.JOB_MATCH_VERIFY_THREADS } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function main() {
  if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) {
    process.stderr.write('kafka-ingest: set DATABASE_URL and KAFKA_BROKERS (npm run bench starts both)\n');
    process.exit(2);
  }
  const world = await createMatchWorld({ partitions: PARTITIONS, subjects: Math.min(1000, EVENTS) });
  const perEventTopic = `${world.topic}.per-event`;
  try {
    await world.admin.createTopics({ topics: [{ topic: perEventTopic, numPartitions: PARTITIONS }, { topic: `${perEventTopic}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    // batch-signed (the CLI's default): topic B
    const t0 = performance.now();
    const published = await world.publishFile(validEvents(world, EVENTS, 'b'));
    if (published.code !== 0) throw new Error(`publish-matches failed:\n${published.stderr}`);
    const publishSeconds = (performance.now() - t0) / 1000;
    // signed one by one: topic E, other event ids
    const file = path.join(world.secretsDir, 'per-event.ndjson');
    fs.writeFileSync(file, validEvents(world, EVENTS, 'e').map((e) => JSON.stringify(e)).join('\n') + '\n');
    const t1 = performance.now();
    const perEventPublished = await runApp('cli', ['publish-matches', '--file', file, '--agency', 'ca.esdc', '--key', world.keyFile, '--brokers', world.brokers, '--topic', perEventTopic, '--per-event-signatures'], {}, 300_000);
    if (perEventPublished.code !== 0) throw new Error(`publish-matches --per-event-signatures failed:\n${perEventPublished.stderr}`);
    const perEventPublishSeconds = (performance.now() - t1) / 1000;
    const bare = await bareConsumerSeconds(world);
    const storeOnly = await storeOnlySeconds(world);
    const batch = await pipelineSeconds(world, world.topic, world.group);
    const perEvent = await pipelineSeconds(world, perEventTopic, `${world.group}-per-event`);
    const endToEnd = batch.windowEvents / batch.wallSeconds;
    const perEventRate = perEvent.windowEvents / perEvent.wallSeconds;
    const result = {
      events: EVENTS,
      partitions: PARTITIONS,
      publishEventsPerSec: Math.round(EVENTS / publishSeconds),
      publishPerEventSignedEventsPerSec: Math.round(EVENTS / perEventPublishSeconds),
      bareEventsPerSec: Math.round(EVENTS / bare),
      endToEndEventsPerSec: Math.round(endToEnd),
      ratio: Number((endToEnd / (EVENTS / bare)).toFixed(3)),
      storeOnlyEventsPerSec: Math.round(EVENTS / storeOnly.seconds),
      ratioToStoreOnly: Number((endToEnd / (EVENTS / storeOnly.seconds)).toFixed(3)),
      windowEvents: batch.windowEvents,
      perEventSignedEventsPerSec: Math.round(perEventRate),
      perEventSignedRatio: Number((perEventRate / (EVENTS / bare)).toFixed(3)),
      storeSpanSeconds: Number(batch.storeSpanSeconds.toFixed(3)),
      // cores held during the batch-signed window, by process (numbers, so `npm run bench` tabulates them)
      ...Object.fromEntries(Object.entries(batch.cores).map(([role, cores]) => [`cores ${role}`, cores])),
      coresPerEventSigned: perEvent.cores,
      coresStoreOnly: storeOnly.cores,
      consentAudit: 'the built consent-audit process (Consents.InForce; integrates the sequenced entries)',
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await world.admin.deleteTopics({ topics: [perEventTopic, `${perEventTopic}.dlq`] }).catch(() => undefined);
    await world.cleanup();
  }
}

module.exports = { pipelineSeconds, coresByRole, cpuTicks };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`kafka-ingest: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
