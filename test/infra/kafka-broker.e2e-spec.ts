/**
 * Proves the Kafka broker the suite runs against (the local one from infra/kafka/kafka.js,
 * or whatever KAFKA_BROKERS points at) works with kafkajs end to end: topic admin, produce,
 * and — the part that breaks on a misconfigured single-node Kafka 4.x — consumer GROUP join
 * (needs offsets.topic.replication.factor=1 so the group coordinator can be created).
 */
import { randomBytes } from 'node:crypto';
import { Admin, Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { createReliableProducer } from '@passerelle/messaging';

const MESSAGES = 100;
// Explicit: jest ignores `testTimeout` inside `projects` entries, so the 5 s default would apply.
const TIMEOUT_MS = 90_000;

function brokersFromEnv(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (!raw || raw.trim() === '') {
    throw new Error(
      'KAFKA_BROKERS is not set: the e2e global setup should start a broker (infra/kafka/kafka.js) ' +
        'and export it, or run e.g. `KAFKA_BROKERS=127.0.0.1:19092 npx jest test/infra/kafka-broker.e2e-spec.ts` ' +
        'against `node infra/kafka/kafka.js start --port 19092`.',
    );
  }
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

describe('Kafka broker (kafkajs)', () => {
  const suffix = randomBytes(6).toString('hex');
  const topic = `t-${suffix}`;
  const groupId = `g-${suffix}`;

  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let topicExists = false;

  beforeAll(() => {
    kafka = new Kafka({
      clientId: `kafka-broker-e2e-${suffix}`,
      brokers: brokersFromEnv(),
      logLevel: logLevel.WARN,
    });
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin && topicExists) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
    await admin?.disconnect().catch(() => undefined);
  }, 30_000);

  it('creates a topic, produces 100 messages and consumes them all with a consumer group', async () => {
    admin = kafka.admin();
    await admin.connect();
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    topicExists = true;
    expect(created).toBe(true);
    expect(await admin.listTopics()).toContain(topic);

    producer = createReliableProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: MESSAGES }, (_, i) => ({ key: `k${i % 7}`, value: `m-${i}` })),
    });

    consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500, // short fetch long-poll so disconnect() does not wait 5 s
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });

    const received = new Set<string>();
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    const allArrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.size}/${MESSAGES} messages arrived within 60s (group joined: ${joined})`)),
        60_000,
      );
      void consumer!
        .run({
          eachMessage: async ({ message }) => {
            received.add(message.value!.toString());
            if (received.size === MESSAGES) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((err) => {
          clearTimeout(timer);
          reject(err);
        });
    });
    await allArrived;

    expect(joined).toBe(true);
    expect(received.size).toBe(MESSAGES);
    for (let i = 0; i < MESSAGES; i++) expect(received.has(`m-${i}`)).toBe(true);

    // The group really exists on the broker (coordinator + __consumer_offsets work).
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0]?.groupId).toBe(groupId);
    expect(groups[0]?.members.length).toBe(1);

    await consumer.disconnect();
    consumer = undefined;
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    topicExists = false;
    expect(await admin.listTopics()).not.toContain(topic);
  }, TIMEOUT_MS);
});
