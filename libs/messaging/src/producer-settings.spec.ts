import fs from 'node:fs';
import path from 'node:path';
import type { Kafka, ProducerConfig, ProducerRecord } from 'kafkajs';
import { createReliableProducer, RELIABLE_PRODUCER } from './kafka';

const ROOT = path.resolve(__dirname, '../../..');
const FACTORY = path.join('libs', 'messaging', 'src', 'kafka.ts');

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

function fakeKafka() {
  const configs: ProducerConfig[] = [];
  const sent: ProducerRecord[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      configs.push(config);
      return { send: async (record: ProducerRecord) => (sent.push(record), []) };
    },
  } as unknown as Kafka;
  return { kafka, configs, sent };
}

describe('Kafka producer settings for a replicated cluster', () => {
  it('every producer of the apps, libraries, benchmarks and scripts comes from createReliableProducer', () => {
    const offenders = ['apps', 'libs', 'bench', 'scripts', 'bin']
      .filter((d) => fs.existsSync(path.join(ROOT, d)))
      .flatMap(sources)
      .filter((file) => file !== FACTORY && /\.producer\s*\(/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
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
});
