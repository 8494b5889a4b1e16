import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { buildJobMatchMessage, createKafka, createReliableProducer } from '@passerelle/messaging';
import { freePortBlock, queryAsOwner } from '@passerelle/testing';
import { createMatchWorld, validEvents, type MatchWorld } from '../matches/harness';
import { groupCaughtUp, until } from '../chaos/helpers';
const kafkaInfra = require('../../infra/kafka/kafka.js') as {
  startCluster(opts: { basePort: number; quiet?: boolean }): Promise<{
    brokers: string;
    stop(): Promise<void>;
    nodes: Array<{ nodeId: number; address: string; kill9(): Promise<void>; restart(): Promise<void> }>;
  }>;
};

const EVENTS = 1000;
const PER_SEND = 30;

/**
 * One broker of three killed (SIGKILL) and restarted under a steady publish load. The cluster
 * (infra/kafka/kafka.js startCluster) replicates every partition three times and acknowledges a
 * write once two replicas have it; the publisher is createReliableProducer (acks=all,
 * idempotence) and each send spans the three partitions, so their leaders. It sends each batch
 * until acknowledged, as the CLI publisher's caller and the outbox relays do. Afterwards every
 * event is acknowledged, stored once, audited once, and the consumer group kept consuming.
 * The kill and the restart are driven by observed progress (acknowledged and stored counts).
 */
describe('one broker of three killed under load', () => {
  let cluster: Awaited<ReturnType<typeof kafkaInfra.startCluster>>;
  let world: MatchWorld;
  let producer: Producer | undefined;
  const savedBrokers = process.env.KAFKA_BROKERS;

  beforeAll(async () => {
    cluster = await kafkaInfra.startCluster({ basePort: await freePortBlock(6), quiet: true });
    process.env.KAFKA_BROKERS = cluster.brokers;
    world = await createMatchWorld({ partitions: 3, subjects: 40 });
  }, 300_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
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
    const events = validEvents(world, EVENTS, 'brokerkill');
    const messages = await Promise.all(events.map((e) => buildJobMatchMessage(e, world.signer)));
    producer = createReliableProducer(createKafka(cluster.brokers.split(','), 'chaos-publisher'));
    await producer.connect();
    const consumer = await world.startConsumer();
    const acked = new Set<string>();
    const failed: string[] = [];
    // A steady publisher: one send of PER_SEND keyed events (spread over the three partitions)
    // after another; a send that fails is sent again, as a publisher whose caller retries does.
    // A failed send may have been written in part: the consumer stores each event id once.
    const publishing = (async () => {
      for (let i = 0; i < messages.length; i += PER_SEND) {
        for (;;) {
          try {
            await producer!.send({ topic: world.topic, acks: -1, messages: messages.slice(i, i + PER_SEND) });
            for (const e of events.slice(i, i + PER_SEND)) acked.add(e.eventId);
            break;
          } catch (e) {
            failed.push(`${i}: ${(e as Error).message}`);
            if (failed.length > 50) throw new Error(`the publisher gave up after ${failed.length} failed sends: ${failed.slice(-3).join(' | ')}`);
          }
        }
      }
    })();
    const stored = () => world.count('SELECT count(*) AS n FROM job_matches');
    const dead = async () => (await world.admin.fetchTopicOffsets(world.dlq)).reduce((n, p) => n + Number(p.high), 0);
    const progress = async () => `acked ${acked.size}, stored ${await stored()}, dead-lettered ${await dead()}, failed sends ${failed.length}; consumer: ${consumer.lines.filter((l) => /"level":(40|50)/.test(l)).slice(-5).join(' | ')}`;
    // Driven by progress: the kill lands once events are flowing, the restart once the two
    // remaining brokers have acknowledged and the group has stored more.
    await until(async () => acked.size >= 250 && (await stored()) >= 100, 90_000, progress);
    const victim = cluster.nodes[0];
    await victim.kill9();
    const [ackedAtKill, storedAtKill] = [acked.size, await stored()];
    await until(async () => acked.size >= ackedAtKill + 150 && (await stored()) >= storedAtKill + 100, 90_000, progress);
    const [ackedWhileDown, storedWhileDown] = [acked.size - ackedAtKill, (await stored()) - storedAtKill];
    await victim.restart();
    await publishing;
    const diagnose = async () => {
      const ids = new Set((await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM job_matches')).map((r) => r.event_id));
      const missing = [...acked].filter((id) => !ids.has(id));
      const processed = await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM processed_events WHERE event_id = ANY($1)', [missing]);
      const ends = await world.admin.fetchTopicOffsets(world.topic);
      const [committed] = await world.admin.fetchOffsets({ groupId: world.group, topics: [world.topic] });
      return `${await progress()}; missing ${missing.join(',')}; of them processed ${processed.length}; ends ${JSON.stringify(ends.map((e) => [e.partition, e.high]))} committed ${JSON.stringify(committed.partitions)}`;
    };
    await until(async () => (await stored()) + (await dead()) >= acked.size, 60_000, diagnose);
    await until(() => groupCaughtUp(world.admin, world.group, world.topic), 60_000, async () => `group ${world.group} behind the end of ${world.topic}`);
    console.log(`broker ${victim.nodeId} killed at ${ackedAtKill} acked / ${storedAtKill} stored; while it was down ${ackedWhileDown} acked, ${storedWhileDown} stored; failed sends ${failed.length} ${failed.slice(0, 3).join(' | ')}`);

    expect(ackedWhileDown).toBeGreaterThanOrEqual(150);
    expect(await dead()).toBe(0);
    expect(storedWhileDown).toBeGreaterThanOrEqual(100);
    const ids = new Set((await queryAsOwner<{ event_id: string }>(world.db.url, 'SELECT event_id FROM job_matches')).map((r) => r.event_id));
    expect([...acked].filter((id) => !ids.has(id))).toEqual([]);
    expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(await stored());
    // Exact: every event was acknowledged in the end, and each is stored once.
    expect(acked.size).toBe(EVENTS);
    expect(await stored()).toBe(EVENTS);
    // Audited once each, the ledger dense.
    expect(await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
    expect(await world.count(`SELECT count(*) AS n FROM ledger_entries WHERE canonical::jsonb->>'operation' = 'kafka:${world.topic}'`)).toBe(await stored());
    expect(await world.count('SELECT (max(seq) + 1 - count(*)) AS n FROM ledger_entries')).toBe(0);
    await consumer.stop();
  });
});
