import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { buildJobMatchMessage, createKafka } from '@passerelle/messaging';
import { freePort, queryAsOwner } from '@passerelle/testing';
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
const PER_SEND = 10;

/**
 * One broker of three killed (SIGKILL) and restarted under a steady publish load. The cluster
 * (infra/kafka/kafka.js startCluster) replicates every partition three times and acknowledges a
 * write once two replicas have it; the publisher sends with acks=all and idempotence. Afterwards
 * every acknowledged event is stored once, audited once, and the consumer group kept consuming.
 */
describe('one broker of three killed under load', () => {
  let cluster: Awaited<ReturnType<typeof kafkaInfra.startCluster>>;
  let world: MatchWorld;
  let producer: Producer | undefined;
  const savedBrokers = process.env.KAFKA_BROKERS;

  beforeAll(async () => {
    cluster = await kafkaInfra.startCluster({ basePort: await freePort(), quiet: true });
    process.env.KAFKA_BROKERS = cluster.brokers;
    world = await createMatchWorld({ partitions: 3, subjects: 40 });
  }, 180_000);

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
    producer = createKafka(cluster.brokers.split(','), 'chaos-publisher').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = await world.startConsumer();
    const acked = new Set<string>();
    const failed: string[] = [];
    let running = true;
    // A steady publisher: one send of PER_SEND events after another, acks=all, each send to ONE
    // partition. kafkajs 2.2.4 resolves a send spanning several leaders although part of it was
    // never written when a leader moves mid-send (its retry skips a broker that already answered:
    // tulios/kafkajs#1303, fix proposed in #1798). Seen here: 2-4 acknowledged events missing from
    // the topic in 2 of 4 runs. One partition per send keeps one leader per send, so what is
    // measured is the cluster and the consumer group.
    const publishing = (async () => {
      for (let i = 0; running && i < messages.length; i += PER_SEND) {
        const partition = (i / PER_SEND) % 3;
        const batch = messages.slice(i, i + PER_SEND).map((m) => ({ ...m, partition }));
        try {
          await producer!.send({ topic: world.topic, acks: -1, messages: batch });
          for (const e of events.slice(i, i + PER_SEND)) acked.add(e.eventId);
        } catch (e) {
          failed.push(`${i}: ${(e as Error).message}`);
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
    await publishing.then(() => (running = false));
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
    // Exact: with no failed send, stored = acknowledged; a failed send may have landed (at most once).
    if (failed.length === 0) expect(await stored()).toBe(acked.size);
    else expect(await stored()).toBeLessThanOrEqual(acked.size + failed.length * PER_SEND);
    // Audited once each, the ledger dense.
    expect(await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
    expect(await world.count(`SELECT count(*) AS n FROM ledger_entries WHERE canonical::jsonb->>'operation' = 'kafka:${world.topic}'`)).toBe(await stored());
    expect(await world.count('SELECT (max(seq) + 1 - count(*)) AS n FROM ledger_entries')).toBe(0);
    await consumer.stop();
  });
});
