import fs from 'node:fs';
import path from 'node:path';
import { buildJobMatchMessage, createKafka } from '@passerelle/messaging';
import { freePort, REPO_ROOT } from '@passerelle/testing';
import type { Producer } from 'kafkajs';
import { createMatchWorld, eventually, validEvents, type MatchWorld } from '../matches/harness';
import { groupCaughtUp, sleep, until } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafka = require(path.join(REPO_ROOT, 'infra/kafka/kafka.js')) as {
  start(o: { port: number; controllerPort: number; quiet?: boolean }): Promise<{ brokers: string; dataDir: string; stop(): Promise<void> }>;
};

const EVENTS = 1500;
const BATCH = 50;
const OUTAGE_MS = 30_000;

/** The java process of OUR broker: the one whose command line names our (unique) data directory. */
function brokerPid(dataDir: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('kafka.Kafka') && cmd.some((a) => a.includes(dataDir)) && !cmd.includes('__watchdog')) return Number(entry);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no broker process for ${dataDir}`);
}

/**
 * The broker stops answering for at least 30 s (its JVM frozen with SIGSTOP: connections stay open and
 * hang, the harder case for clients) during a publish and a consume, on a broker of this test's
 * own (never the shared 127.0.0.1:9092). The publisher retries or fails clearly, the consumer
 * resumes by itself, and every event is stored exactly once.
 *
 * Driven by observed progress, not the clock: the broker is frozen once the consumer has stored
 * some events (so consumption is cut mid-way), and the publisher holds back the rest of the batch
 * job until the freeze has begun (so publishing is cut mid-way too), however fast this machine is.
 * Late redeliveries are waited for through the group's committed offsets, not a sleep.
 */
describe('Kafka broker outage during publish and consume', () => {
  let broker: Awaited<ReturnType<typeof kafka.start>> | undefined;
  let world: MatchWorld | undefined;
  let pid: number | undefined;
  const previousBrokers = process.env.KAFKA_BROKERS;

  beforeAll(async () => {
    broker = await kafka.start({ port: await freePort(), controllerPort: await freePort(), quiet: true });
    pid = brokerPid(broker.dataDir);
    process.env.KAFKA_BROKERS = broker.brokers; // the match world (consumer app, topics) on our broker
    world = await createMatchWorld({ partitions: 3, subjects: 40 });
  }, 180_000);

  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await world?.cleanup().catch(() => undefined);
    await broker?.stop();
    process.env.KAFKA_BROKERS = previousBrokers;
  }, 60_000);

  it(`publishes and stores ${EVENTS} events exactly once across a broker outage of at least ${OUTAGE_MS / 1000} s`, async () => {
    const w = world!;
    const consumer = await w.startConsumer();
    const producer: Producer = createKafka([broker!.brokers], 'chaos-outage-publisher').producer();
    await producer.connect();
    const messages = await Promise.all(validEvents(w, EVENTS, 'outage').map((e) => buildJobMatchMessage(e, w.signer)));
    const publishErrors = new Map<string, number>();
    let retries = 0;
    let frozenAt = 0;
    let resumedAt = 0;
    let sentDuringOutage = 0;
    const count = () => w.count('SELECT count(*) AS n FROM job_matches');

    // the outage, once the consumer has stored a fifth of the events
    const outage = (async () => {
      await eventually(async () => (await count()) >= EVENTS / 5, 60_000, async () => `matches=${await count()}`);
      process.kill(pid!, 'SIGSTOP');
      frozenAt = Date.now();
      // frozen for at least OUTAGE_MS, and until the publisher has a send out to the frozen broker
      // (observed, not assumed from the clock: a starved test process may not have sent yet)
      await until(() => Date.now() - frozenAt >= OUTAGE_MS && sentDuringOutage > 0, 120_000, () => `frozen ${Date.now() - frozenAt} ms; sends during the outage ${sentDuringOutage}`);
      process.kill(pid!, 'SIGCONT');
      resumedAt = Date.now();
    })();

    // the batch publisher: a batch that fails is retried (bounded), each failure has a clear message;
    // it gives up only if the broker stays unusable long after it came back (not by the start's clock)
    const heldBack = Math.ceil((messages.length * 0.4) / BATCH) * BATCH;
    for (let i = 0; i < messages.length; i += BATCH) {
      // the rest of the job goes out only once the broker is frozen
      if (i === heldBack) await until(() => frozenAt > 0, 90_000, () => 'the broker was never frozen: the consumer stored too few events');
      if (frozenAt > 0 && resumedAt === 0) sentDuringOutage++;
      for (;;) {
        try {
          await producer.send({ topic: w.topic, messages: messages.slice(i, i + BATCH) });
          break;
        } catch (e) {
          const message = `${(e as Error).name}: ${(e as Error).message}`;
          publishErrors.set(message, (publishErrors.get(message) ?? 0) + 1);
          retries++;
          if (resumedAt > 0 && Date.now() > resumedAt + 120_000) throw e;
          await sleep(1000);
        }
      }
    }
    await outage;
    await producer.disconnect();
    const publishedAt = Date.now();

    await eventually(async () => (await count()) >= EVENTS, 120_000, async () => `matches=${await count()}; consumer log:\n${consumer.lines.slice(-25).join('\n')}`);
    const resumedIn = Date.now() - resumedAt;
    // redeliveries, if any, land before the group's committed offsets reach the end of the topic
    await until(() => groupCaughtUp(w.admin, w.group, w.topic), 60_000, () => 'the consumer group never committed the end of the topic');
    console.log(
      `broker frozen ${resumedAt - frozenAt} ms (from ${frozenAt ? new Date(frozenAt).toISOString() : '?'}): publisher retried ${retries} batch(es) ` +
        `${JSON.stringify(Object.fromEntries(publishErrors))}; all published ${Math.round((publishedAt - resumedAt) / 1000)} s after the broker came back; ` +
        `consumer stored all ${EVENTS} ${Math.round(resumedIn / 1000)} s after it came back ` +
        `(crashes ${consumer.lines.filter((l) => l.includes('job-match consumer crashed')).length}, rejoins ${consumer.lines.filter((l) => l.includes('rejoined its group')).length})`,
    );
    expect(frozenAt).toBeGreaterThan(0);
    expect(sentDuringOutage).toBeGreaterThan(0);
    for (const message of publishErrors.keys()) expect(message.length).toBeGreaterThan(10);
    expect(consumer.proc.exitCode).toBeNull();
    expect(await count()).toBe(EVENTS);
    expect(await w.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(EVENTS);
    expect(await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
  });
});
