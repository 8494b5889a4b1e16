import type { Kafka, ProducerBatch, ProducerConfig, ProducerRecord } from 'kafkajs';
import { OutboxRelay, type OutboxDeclaration, type OutboxDatabase } from './outbox-relay';

interface Row {
  id: string;
  topic: string;
  message_key: string;
  payload: string;
}

const DECLARATION: OutboxDeclaration<Row> = {
  logName: 'test outbox',
  table: 'test_outbox',
  publishedColumn: 'sent_at',
  idType: 'bigint',
  columns: ['id', 'topic', 'message_key', 'payload'],
  orderBy: 'id',
  lockKey: 42,
  tracksAttempts: true,
  toMessage: (r) => ({ key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json' } }),
};

/** An outbox table in memory that answers the relay's few statements. */
class FakeOutbox implements OutboxDatabase {
  rows: Array<Row & { sent: boolean; attempts: number; lastError: string | null }> = [];
  lockTaken = false;
  readonly log: string[] = [];
  private onMark: Array<() => void> = [];

  add(id: number, topic: string) {
    this.rows.push({ id: String(id), topic, message_key: `k${id}`, payload: `{"n":${id}}`, sent: false, attempts: 0, lastError: null });
  }
  sentIds() {
    return this.rows.filter((r) => r.sent).map((r) => r.id);
  }
  marked(): Promise<void> {
    return new Promise((resolve) => this.onMark.push(resolve));
  }

  async query(sql: string, params: unknown[] = []): Promise<any> {
    const pending = this.rows.filter((r) => !r.sent);
    if (sql.startsWith('SELECT 1 FROM test_outbox WHERE sent_at IS NULL LIMIT 1')) return pending.slice(0, 1);
    if (sql.startsWith('SELECT pg_try_advisory_xact_lock($1)')) {
      expect(params).toEqual([42]);
      return [{ locked: !this.lockTaken }];
    }
    if (sql.startsWith('SELECT id, topic, message_key, payload FROM test_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1')) {
      return [...pending].sort((a, b) => Number(a.id) - Number(b.id)).slice(0, params[0] as number).map(({ id, topic, message_key, payload }) => ({ id, topic, message_key, payload }));
    }
    const ids = params[0] as string[];
    const hit = this.rows.filter((r) => ids.includes(r.id));
    if (sql === 'UPDATE test_outbox SET attempts = attempts + 1, last_error = NULL, sent_at = now() WHERE id = ANY($1::bigint[])') {
      for (const r of hit) Object.assign(r, { sent: true, attempts: r.attempts + 1, lastError: null });
      this.log.push(`mark ${ids.join(',')}`);
      this.onMark.splice(0).forEach((f) => f());
      return [];
    }
    if (sql === 'UPDATE test_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])') {
      for (const r of hit) Object.assign(r, { attempts: r.attempts + 1, lastError: params[1] });
      return [];
    }
    throw new Error(`unexpected SQL: ${sql}`);
  }

  transaction<T>(work: (m: OutboxDatabase) => Promise<T>): Promise<T> {
    return work(this);
  }
}

/** A Kafka client whose producers and admins record what they were asked. */
function fakeKafka(log: string[]) {
  const state = {
    sends: [] as ProducerRecord[],
    producersCreated: 0,
    disconnects: 0,
    topicsCreated: [] as string[],
    send: async (_record: ProducerRecord): Promise<void> => undefined,
  };
  const kafka = {
    producer: (config: ProducerConfig) => {
      state.producersCreated += 1;
      const partition = config.createPartitioner!();
      const partitionMetadata = [{ partitionId: 0, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }];
      return {
        connect: async () => undefined,
        disconnect: async () => {
          state.disconnects += 1;
        },
        // what createReliableProducer calls; every event lands on partition 0, which answers
        sendBatch: async ({ acks, topicMessages }: ProducerBatch) => {
          const [{ topic, messages }] = topicMessages!;
          for (const message of messages) partition({ topic, partitionMetadata, message });
          const record = { topic, acks, messages };
          log.push(`send ${record.topic} ${record.messages.map((m) => m.key).join(',')}`);
          await state.send(record);
          state.sends.push(record);
          log.push(`ack ${record.topic}`);
          return [{ topicName: topic, partition: 0, errorCode: 0 }];
        },
      };
    },
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      createTopics: async ({ topics }: { topics: Array<{ topic: string }> }) => {
        for (const t of topics) {
          state.topicsCreated.push(t.topic);
          log.push(`create ${t.topic}`);
        }
        return true;
      },
    }),
  };
  return { kafka: kafka as unknown as Kafka, state };
}

function fakeLogger() {
  const warnings: Array<{ obj: any; msg: string }> = [];
  const infos: string[] = [];
  let onWarn: (() => void) | undefined;
  return {
    warnings,
    infos,
    nextWarning: () => new Promise<void>((r) => (onWarn = r)),
    info: (msg: string) => infos.push(msg),
    debug: () => undefined,
    warn: (obj: object, msg: string) => {
      warnings.push({ obj, msg });
      onWarn?.();
    },
  };
}

describe('OutboxRelay', () => {
  it('publishes pending rows in the declared order, grouped by topic, creating each topic through the admin before sending', async () => {
    const db = new FakeOutbox();
    db.add(3, 'b');
    db.add(1, 'a');
    db.add(2, 'b');
    const { kafka, state } = fakeKafka(db.log);
    const relay = new OutboxRelay(DECLARATION, db, kafka, fakeLogger());

    expect(await relay.drainOnce()).toBe(3);

    expect(db.log).toEqual(['create a', 'send a k1', 'ack a', 'create b', 'send b k2,k3', 'ack b', 'mark 1,2,3']);
    expect(state.sends[0]).toEqual({ topic: 'a', acks: -1, messages: [{ key: 'k1', value: '{"n":1}', headers: { 'content-type': 'application/json' } }] });
    expect(db.sentIds()).toEqual(['3', '1', '2']);
    expect(db.rows.every((r) => r.attempts === 1)).toBe(true);
    expect(await relay.drainOnce()).toBe(0);
  });

  it('marks rows published only after the broker acknowledged them', async () => {
    const db = new FakeOutbox();
    db.add(1, 'a');
    const { kafka, state } = fakeKafka(db.log);
    let ack!: () => void;
    let sending!: () => void;
    const sent = new Promise<void>((r) => (sending = r));
    state.send = () => {
      sending();
      return new Promise<void>((r) => (ack = r));
    };
    const relay = new OutboxRelay(DECLARATION, db, kafka, fakeLogger());

    const drained = relay.drainOnce();
    await sent;
    expect(db.sentIds()).toEqual([]);
    ack();
    expect(await drained).toBe(1);
    expect(db.sentIds()).toEqual(['1']);
  });

  it('a failed publish marks nothing, records the attempt, backs off and starts over with new Kafka clients', async () => {
    const db = new FakeOutbox();
    db.add(1, 'a');
    const { kafka, state } = fakeKafka(db.log);
    state.send = async () => {
      throw new Error('broker down');
    };
    const logger = fakeLogger();
    const relay = new OutboxRelay(DECLARATION, db, kafka, logger, { idlePollMs: 60_000 });

    await expect(relay.drainOnce()).rejects.toThrow('broker down');
    expect(db.rows[0]).toMatchObject({ sent: false, attempts: 1, lastError: 'broker down' });

    let warned = logger.nextWarning();
    relay.start();
    await warned;
    warned = logger.nextWarning();
    await warned;
    expect(logger.warnings.map((w) => [w.msg, w.obj.retryInMs])).toEqual([
      ['test outbox: publishing failed, will retry', 250],
      ['test outbox: publishing failed, will retry', 500],
    ]);
    // New Kafka clients after each failure: the relay's first producer renews its kafkajs producer
    // after the direct drainOnce failed (a new producer id), then the relay drops it; one more per retry.
    expect(state.producersCreated).toBe(3);
    expect(state.disconnects).toBeGreaterThanOrEqual(2);

    const marked = db.marked();
    state.send = async () => undefined;
    await marked;
    expect(db.sentIds()).toEqual(['1']);
    await relay.stop();
    expect(logger.infos).toContain('test outbox: broker reachable again, publishing');
  });

  it('without attempt columns a failed publish rolls the transaction back', async () => {
    const db = new FakeOutbox();
    db.add(1, 'a');
    const { kafka, state } = fakeKafka(db.log);
    state.send = async () => {
      throw new Error('broker down');
    };
    const relay = new OutboxRelay({ ...DECLARATION, tracksAttempts: false }, db, kafka, fakeLogger());
    await expect(relay.drainOnce()).rejects.toThrow('broker down');
    expect(db.rows[0]).toMatchObject({ sent: false, attempts: 0, lastError: null });
  });

  it('publishes nothing while another relay holds the lock', async () => {
    const db = new FakeOutbox();
    db.add(1, 'a');
    db.lockTaken = true;
    const { kafka, state } = fakeKafka(db.log);
    const relay = new OutboxRelay(DECLARATION, db, kafka, fakeLogger());
    expect(await relay.drainOnce()).toBe(0);
    expect(state.sends).toEqual([]);
    expect(db.sentIds()).toEqual([]);
  });

  it('a nudge wakes the idle relay at once instead of at the next poll', async () => {
    const db = new FakeOutbox();
    const { kafka } = fakeKafka(db.log);
    const relay = new OutboxRelay(DECLARATION, db, kafka, fakeLogger(), { idlePollMs: 600_000, shutdownTimeoutMs: 600_000 });
    relay.start();
    // The first pass finds nothing, then sleeps for ten minutes unless nudged.
    await new Promise((r) => setImmediate(r));
    const marked = db.marked();
    db.add(1, 'a');
    relay.nudge();
    await marked;
    expect(db.sentIds()).toEqual(['1']);
    await relay.stop();
  });
});
