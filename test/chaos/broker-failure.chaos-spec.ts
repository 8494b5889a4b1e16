import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { buildJobMatchMessage, createKafka, createReliableProducer } from '@passerelle/messaging';
import { freePort, freePortBlock, queryAsOwner, startApp, type RunningApp } from '@passerelle/testing';
import { createMatchWorld, validEvents, type MatchWorld } from '../matches/harness';
import { expectOfflineVerification, groupCaughtUp, until } from './helpers';
const kafkaInfra = require('../../infra/kafka/kafka.js') as {
  startCluster(opts: { basePort: number; quiet?: boolean }): Promise<{
    brokers: string;
    stop(): Promise<void>;
    nodes: Array<{ nodeId: number; address: string; kill9(): Promise<void>; restart(): Promise<void> }>;
  }>;
};

const PER_SEND = 30;
/** The publisher stays at most this many acknowledged events ahead of the stored ones (steady, not a flood). */
const AHEAD = 300;
/** Events available to the publisher; the phases below need far fewer (about 1,000). */
const POOL = 10_000;

/**
 * One broker of three killed (SIGKILL) and restarted under a steady publish load. The cluster
 * (infra/kafka/kafka.js startCluster) replicates every partition three times and acknowledges a
 * write once two replicas have it; the publisher is createReliableProducer (acks=all,
 * idempotence) and each send spans the three partitions, so their leaders. It sends each batch
 * until acknowledged, as the CLI publisher's caller and the outbox relays do. Afterwards every
 * event is acknowledged, stored once, audited once, the consumer group kept consuming, and the
 * ledger passes `passerelle audit verify`.
 *
 * Every phase is driven by observed progress (acknowledged and stored counts), never by the clock:
 * the kill lands while events flow, the restart once the two remaining brokers have acknowledged
 * more and the group has stored more, and the publisher stops only after events flowed again with
 * the restarted broker back. So the kill is always mid-load, however fast or slow the machine.
 */
describe('one broker of three killed under load', () => {
  let cluster: Awaited<ReturnType<typeof kafkaInfra.startCluster>>;
  let world: MatchWorld;
  let gateway: RunningApp | undefined;
  let gatewayUrl: string;
  let producer: Producer | undefined;
  const savedBrokers = process.env.KAFKA_BROKERS;

  beforeAll(async () => {
    cluster = await kafkaInfra.startCluster({ basePort: await freePortBlock(6), quiet: true });
    process.env.KAFKA_BROKERS = cluster.brokers;
    world = await createMatchWorld({ partitions: 3, subjects: 40, auditor: true });
    // The gateway ops.audit reads the ledger's heads and proofs through for `audit verify`.
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = await startApp(
      'gateway',
      { DATABASE_URL: world.db.url, KAFKA_BROKERS: cluster.brokers, PASSERELLE_REGISTRY: world.registry.file, PASSERELLE_SECRETS_DIR: world.secretsDir, CONSENT_AUDIT_URL: world.consentAudit.url, GATEWAY_PORT: String(port), LOG_LEVEL: 'warn' },
      { httpUrl: `${gatewayUrl}/.well-known/jwks.json`, timeoutMs: 30_000 },
    );
  }, 240_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await gateway?.stop();
    await world?.cleanup();
    await cluster?.stop();
    process.env.KAFKA_BROKERS = savedBrokers;
  });

  it('creates topics with replication factor 3 and min.insync.replicas=2', async () => {
    const md = await world.admin.fetchTopicMetadata({ topics: [world.topic] });
    expect(md.topics[0].partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
    const cfg = await world.admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: world.topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
    expect(cfg.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
  });

  it('broker failure: loses no acknowledged event, stores none twice, and the group keeps consuming', async () => {
    const events = validEvents(world, POOL, 'brokerkill');
    producer = createReliableProducer(createKafka(cluster.brokers.split(','), 'chaos-publisher'));
    await producer.connect();
    const consumer = await world.startConsumer();
    const stored = () => world.count('SELECT count(*) AS n FROM job_matches');
    const dead = async () => (await world.admin.fetchTopicOffsets(world.dlq)).reduce((n, p) => n + Number(p.high), 0);
    const acked = new Set<string>();
    const attempted = new Set<string>();
    const failed: string[] = [];
    let publishing = true;
    const progress = async () => `acked ${acked.size}, stored ${await stored()}, dead-lettered ${await dead()}, failed sends ${failed.length}; consumer: ${consumer.lines.filter((l) => /"level":(40|50)/.test(l)).slice(-5).join(' | ')}`;
    // A steady publisher: one send of PER_SEND keyed events (spread over the three partitions)
    // after another, never more than AHEAD acknowledged events ahead of the consumer; a send that
    // fails is sent again, as a publisher whose caller retries does. A failed send may have been
    // written in part: the consumer stores each event id once. It runs until told to stop.
    const publisher = (async () => {
      for (let i = 0; publishing; i += PER_SEND) {
        if (i + PER_SEND > events.length) throw new Error(`the publisher ran out of its ${POOL} events: ${await progress()}`);
        await until(async () => acked.size - (await stored()) < AHEAD, 120_000, progress, 100);
        const batch = events.slice(i, i + PER_SEND);
        const messages = await Promise.all(batch.map((e) => buildJobMatchMessage(e, world.signer)));
        for (const e of batch) attempted.add(e.eventId);
        for (;;) {
          try {
            await producer!.send({ topic: world.topic, acks: -1, messages });
            for (const e of batch) acked.add(e.eventId);
            break;
          } catch (e) {
            failed.push(`${i}: ${(e as Error).message}`);
            if (failed.length > 50) throw new Error(`the publisher gave up after ${failed.length} failed sends: ${failed.slice(-3).join(' | ')}`);
          }
        }
      }
    })();
    // A publisher that failed ends any wait at once, with its error.
    let publisherError: Error | undefined;
    publisher.catch((e: Error) => (publisherError = e));
    const waitGrown = async (ackedBy: number, storedBy: number) => {
      const [a, s] = [acked.size, await stored()];
      await until(
        async () => {
          if (publisherError) throw publisherError;
          return acked.size >= a + ackedBy && (await stored()) >= s + storedBy;
        },
        120_000,
        progress,
      );
    };

    try {
      // Events flowing: 250 acknowledged and 100 stored.
      await waitGrown(250, 100);
      const victim = cluster.nodes[0];
      await victim.kill9();
      const [ackedAtKill, storedAtKill] = [acked.size, await stored()];
      // The two remaining brokers acknowledge and the group stores, with one broker down.
      await waitGrown(150, 100);
      const [ackedWhileDown, storedWhileDown] = [acked.size - ackedAtKill, (await stored()) - storedAtKill];
      await victim.restart();
      // Events flow again with all three back, then the publisher stops.
      await waitGrown(150, 100);
      publishing = false;
      await publisher;
      console.log(`broker ${victim.nodeId} killed at ${ackedAtKill} acked / ${storedAtKill} stored; while it was down ${ackedWhileDown} acked, ${storedWhileDown} stored; in all ${acked.size} acked; failed sends ${failed.length} ${failed.slice(0, 3).join(' | ')}`);
      expect(ackedWhileDown).toBeGreaterThanOrEqual(150);
      expect(storedWhileDown).toBeGreaterThanOrEqual(100);
    } finally {
      publishing = false;
      await publisher.catch(() => undefined);
    }

    const diagnose = async () => {
      const ids = new Set((await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM job_matches')).map((r) => r.event_id));
      const missing = [...acked].filter((id) => !ids.has(id));
      const processed = await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM processed_events WHERE event_id = ANY($1)', [missing]);
      const ends = await world.admin.fetchTopicOffsets(world.topic);
      const [committed] = await world.admin.fetchOffsets({ groupId: world.group, topics: [world.topic] });
      return `${await progress()}; missing ${missing.slice(0, 20).join(',')}; of them processed ${processed.length}; ends ${JSON.stringify(ends.map((e) => [e.partition, e.high]))} committed ${JSON.stringify(committed.partitions)}`;
    };
    await until(async () => (await stored()) + (await dead()) >= acked.size, 120_000, diagnose);
    await until(() => groupCaughtUp(world.admin, world.group, world.topic), 60_000, async () => `group ${world.group} behind the end of ${world.topic}`);

    expect(await dead()).toBe(0);
    // Exact: every event sent was acknowledged in the end, each is stored once, none is missing.
    expect(acked.size).toBe(attempted.size);
    const ids = new Set((await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM job_matches')).map((r) => r.event_id));
    expect([...acked].filter((id) => !ids.has(id))).toEqual([]);
    expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(await stored());
    expect(await stored()).toBe(acked.size);
    // Audited once each, the ledger dense, and verifiable offline by the operator.
    expect(await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
    expect(await world.count(`SELECT count(*) AS n FROM ledger_entries WHERE canonical::jsonb->>'operation' = 'kafka:${world.topic}'`)).toBe(acked.size);
    expect(await world.count('SELECT (max(seq) + 1 - count(*)) AS n FROM ledger_entries')).toBe(0);
    await consumer.stop();
    const size = await world.count('SELECT count(*) AS n FROM ledger_entries');
    await expectOfflineVerification({ dbUrl: world.db.url, size, gatewayUrl, registry: world.registry, secretsDir: world.secretsDir });
  });
});
