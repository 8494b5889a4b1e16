import fs from 'node:fs';
import path from 'node:path';
import type { Kafka, Message, PartitionerArgs, PartitionMetadata, ProducerBatch, ProducerConfig, RecordMetadata } from 'kafkajs';
import { createReliableProducer, MAX_RESEND_ROUNDS, RELIABLE_PRODUCER } from './kafka';

const ROOT = path.resolve(__dirname, '../../..');
const FACTORY = path.join('libs', 'messaging', 'src', 'reliable-producer.ts');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sources(rel));
    } else if (/\.(ts|js)$/.test(entry.name) && !/\.(spec|e2e-spec|chaos-spec)\.ts$/.test(entry.name)) out.push(rel);
  }
  return out;
}

type Partition = (args: PartitionerArgs) => number;
const META: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({ partitionId, leader: partitionId, replicas: [0, 1, 2], isr: [0, 1, 2], partitionErrorCode: 0 }));

/**
 * A kafkajs stand-in: each producer it makes partitions a batch with the partitioner it was
 * given (as kafkajs does on every try) and answers with `answer` (by default, every partition).
 */
function fakeKafka(answer?: (batch: ProducerBatch, byPartition: Map<number, Message[]>, producerIndex: number) => RecordMetadata[] | Error) {
  const configs: ProducerConfig[] = [];
  const sent: Array<{ producer: number; acks?: number; byPartition: Map<number, Message[]> }> = [];
  const disconnected: number[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      const index = configs.push(config) - 1;
      const partition: Partition = config.createPartitioner!();
      return {
        connect: async () => undefined,
        disconnect: async () => void disconnected.push(index),
        on: () => () => undefined,
        sendBatch: async (batch: ProducerBatch) => {
          const byPartition = new Map<number, Message[]>();
          for (const { topic, messages } of batch.topicMessages ?? []) {
            for (const message of messages) {
              const p = partition({ topic, partitionMetadata: META, message });
              byPartition.set(p, [...(byPartition.get(p) ?? []), message]);
            }
          }
          sent.push({ producer: index, acks: batch.acks, byPartition });
          const out = answer ? answer(batch, byPartition, index) : [...byPartition.keys()].map((p) => ({ topicName: 't', partition: p, errorCode: 0 }));
          if (out instanceof Error) throw out;
          return out;
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, configs, sent, disconnected };
}

const values = (ms: Message[] = []) => ms.map((m) => String(m.value));

describe('Kafka producer settings for a replicated cluster', () => {
  it('every producer of the apps, libraries, benchmarks and scripts comes from createReliableProducer', () => {
    const offenders = ['apps', 'libs', 'bench', 'scripts', 'bin']
      .filter((d) => fs.existsSync(path.join(ROOT, d)))
      .flatMap(sources)
      .filter((file) => file !== FACTORY && /\.producer\s*\(/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the job-match publisher, the outbox relays and the dead-letter writer produce through it', () => {
    const producers = ['apps/cli/src/commands/publish-matches.command.ts', 'libs/messaging/src/outbox-relay.ts', 'apps/job-match-consumer/src/matches/dead-letter.writer.ts'];
    for (const file of producers) expect([file, /createReliableProducer\(/.test(fs.readFileSync(path.join(ROOT, file), 'utf8'))]).toEqual([file, true]);
    // every outbox relay is an OutboxRelay (whose producer is the one above)
    const relays = ['apps', 'libs'].flatMap(sources).filter((f) => /class \w+ extends OutboxRelay(Provider)?\b/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(relays.length).toBeGreaterThan(0);
  });

  it('creates idempotent producers with acks from all in-sync replicas and at most 5 requests in flight', () => {
    const { kafka, configs } = fakeKafka();
    createReliableProducer(kafka);
    expect(configs).toHaveLength(1);
    expect(configs[0]).toMatchObject({ idempotent: true, allowAutoTopicCreation: false });
    expect(configs[0].maxInFlightRequests).toBeGreaterThanOrEqual(1);
    expect(configs[0].maxInFlightRequests).toBeLessThanOrEqual(5);
    expect(RELIABLE_PRODUCER.acks).toBe(-1);
  });

  it('sends with acks -1 when none is given, and refuses a weaker acks', async () => {
    const { kafka, sent } = fakeKafka();
    const producer = createReliableProducer(kafka);
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    await producer.send({ topic: 't', acks: -1, messages: [{ value: 'b' }] });
    expect(sent.map((r) => r.acks)).toEqual([-1, -1]);
    await expect(producer.send({ topic: 't', acks: 1, messages: [{ value: 'c' }] })).rejects.toThrow(/acks -1 \(all in-sync replicas\), not 1/);
    await expect(producer.send({ topic: 't', acks: 0, messages: [{ value: 'd' }] })).rejects.toThrow(/not 0/);
    expect(sent).toHaveLength(2);
  });

  it('sends the next batch under a new producer id after a failed send (its sequence numbers may name a written batch)', async () => {
    let fail = true;
    const { kafka, configs, sent, disconnected } = fakeKafka((_b, byPartition) => (fail ? ((fail = false), new Error('request timed out')) : [...byPartition.keys()].map((p) => ({ topicName: 't', partition: p, errorCode: 0 }))));
    const producer = createReliableProducer(kafka);
    await producer.connect();
    await expect(producer.send({ topic: 't', messages: [{ key: 'k', value: 'a' }] })).rejects.toThrow('request timed out');
    await producer.send({ topic: 't', messages: [{ key: 'k', value: 'b' }] });
    expect(configs).toHaveLength(2);
    expect(disconnected).toEqual([0]);
    expect(sent.map((s) => s.producer)).toEqual([0, 1]);
    await producer.send({ topic: 't', messages: [{ key: 'k', value: 'c' }] });
    expect(configs).toHaveLength(2); // a successful send keeps its producer
  });

  it('sends again the partitions a resolved send left unanswered (tulios/kafkajs#1303), to the same partitions', async () => {
    let round = 0;
    const { kafka, sent } = fakeKafka((_b, byPartition) => {
      round++;
      const answered = round === 1 ? [...byPartition.keys()].filter((p) => p !== 1) : [...byPartition.keys()];
      return answered.map((p) => ({ topicName: 't', partition: p, errorCode: 0 }));
    });
    const producer = createReliableProducer(kafka);
    const messages = Array.from({ length: 9 }, (_, i) => ({ value: `v${i}` })); // keyless: round-robin
    const answers = await producer.send({ topic: 't', messages });
    expect(sent).toHaveLength(2);
    expect([...sent[1].byPartition.keys()]).toEqual([1]);
    expect(values(sent[1].byPartition.get(1))).toEqual(values(sent[0].byPartition.get(1)));
    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1, 2]);
    expect(values([...sent[0].byPartition.values()].flat()).sort()).toEqual(values(messages).sort());
  });

  it('reports a send as failed once partitions stay unanswered for MAX_RESEND_ROUNDS, and renews the producer', async () => {
    const { kafka, sent, configs } = fakeKafka(() => []);
    const producer = createReliableProducer(kafka);
    await expect(producer.send({ topic: 't', messages: [{ key: 'a', value: 'a' }] })).rejects.toThrow(/1 events of a send were still unanswered/);
    expect(sent).toHaveLength(MAX_RESEND_ROUNDS);
    await expect(producer.send({ topic: 't', messages: [{ key: 'a', value: 'a' }] })).rejects.toThrow();
    expect(configs).toHaveLength(2);
  });

  it('keeps a keyless event on the partition it was first given when kafkajs partitions a retry anew', () => {
    const { kafka, configs } = fakeKafka();
    createReliableProducer(kafka);
    const partition: Partition = configs[0].createPartitioner!();
    const messages: Message[] = [{ value: 'a' }, { value: 'b' }, { value: 'c' }];
    const first = messages.map((message) => partition({ topic: 't', partitionMetadata: META, message }));
    const retry = messages.map((message) => partition({ topic: 't', partitionMetadata: META, message }));
    expect(new Set(first).size).toBe(3); // round-robin spread them
    expect(retry).toEqual(first);
  });

  it('sends one batch at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const kafka = {
      producer: (config: ProducerConfig) => {
        const partition: Partition = config.createPartitioner!();
        return {
          connect: async () => undefined,
          sendBatch: async (batch: ProducerBatch) => {
            most = Math.max(most, ++inFlight);
            await new Promise<void>((r) => releases.push(r));
            inFlight--;
            const { topic, messages } = batch.topicMessages![0];
            return messages.map((message) => ({ topicName: topic, partition: partition({ topic, partitionMetadata: META, message }), errorCode: 0 }));
          },
        };
      },
    } as unknown as Kafka;
    const producer = createReliableProducer(kafka);
    const sends = [0, 1, 2].map((i) => producer.send({ topic: 't', messages: [{ partition: 0, value: String(i) }] }));
    for (let i = 0; i < 3; i++) {
      await eventuallyReleased(releases, i);
    }
    await Promise.all(sends);
    expect(most).toBe(1);
  });
});

async function eventuallyReleased(releases: Array<() => void>, i: number) {
  while (releases.length <= i) await new Promise((r) => setImmediate(r));
  releases[i]();
}
