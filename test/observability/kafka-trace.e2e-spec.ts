import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildJobMatchMessage, createKafka, sampleJobMatchEvent, signerFromPrivateJwk } from '@passerelle/messaging';
import {
  createTestDatabase,
  createTestRegistry,
  freePort,
  kafkaBrokers,
  startApp,
  startTestConsentAudit,
  uniqueName,
  type RunningApp,
  type TestConsentAudit,
  type TestDatabase,
  type TestRegistry,
} from '@passerelle/testing';
import type { Admin, Kafka } from 'kafkajs';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const PUBLISHER = 'ca.esdc';

/**
 * Kafka carries the trace: a job-match message published with a W3C `traceparent` header (as an
 * instrumented publisher sends it) is processed by the consumer in that trace (its batch `process` span links to it), and the
 * message key (the publisher's pseudonym for a person) never appears in a span.
 */
describe('trace context across Kafka: publisher → job-match consumer', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let secretsDir: string;
  let consentAudit: TestConsentAudit;
  let consumer: RunningApp;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let kafka: Kafka;
  let admin: Admin;
  const topic = uniqueName('jobbank.matches.trace');

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    [db, registry] = await Promise.all([createTestDatabase('kafkatrace'), createTestRegistry({ agencies: [{ id: PUBLISHER, roles: ['CONSUMER', 'PUBLISHER'] }, { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'] }] })]);
    secretsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-kafkatrace-'));
    kafka = createKafka(kafkaBrokers().split(','), uniqueName('kafkatrace-test'));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: `${topic}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    consentAudit = await startTestConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir });
    consumer = await startApp(
      'job-match-consumer',
      {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: kafkaBrokers(),
        PASSERELLE_REGISTRY: registry.file,
        PASSERELLE_SECRETS_DIR: secretsDir,
        CONSENT_AUDIT_URL: consentAudit.url,
        CONSUMER_METRICS_PORT: String(await freePort()),
        JOB_MATCH_TOPIC: topic,
        JOB_MATCH_GROUP: uniqueName('kafkatrace-group'),
        JOB_MATCH_SESSION_TIMEOUT_MS: '6000',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      { logLine: /joined the job-match consumer group/, timeoutMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await consentAudit?.stop();
    await admin?.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.drop();
    await registry?.cleanup();
    await otlp?.stop();
    await fs.rm(secretsDir, { recursive: true, force: true });
  });

  it('the consumer processes a message inside the trace its traceparent header names, without the message key in any span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const pseudonym = `P${randomBytes(12).toString('hex')}`; // no such claimant: the consumer still processes (and dead-letters) it
    const key = registry.activeKey(PUBLISHER);
    const message = await buildJobMatchMessage(sampleJobMatchEvent({ eventId: uniqueName('evt'), batchId: 'trace', pseudonym }), await signerFromPrivateJwk(PUBLISHER, key.privateJwk));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ ...message, headers: { ...message.headers, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } }] });
    await producer.disconnect();

    // The consumer reads in batches: its `process` span links to each message's context (messaging semantic conventions).
    const inTrace = (s: ReceivedSpan) => s.service === 'passerelle-job-match-consumer' && s.kind === 5 && (s.traceId === traceId || s.links.includes(traceId));
    const deadline = Date.now() + 60_000;
    while (!otlp.spans.some(inTrace)) {
      if (Date.now() > deadline) throw new Error(`no consumer span in trace ${traceId}; spans seen: ${JSON.stringify(otlp.spans.map((s) => [s.service, s.name, s.traceId]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const processing = otlp.spans.find(inTrace)!;
    expect(processing.attributes['messaging.destination.name']).toBe(topic);
    expect(JSON.stringify(otlp.spans.map((s) => s.attributes))).not.toContain(pseudonym);
  });
});
