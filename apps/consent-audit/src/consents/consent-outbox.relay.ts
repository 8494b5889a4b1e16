import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createReliableProducer } from '@passerelle/messaging';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ADVISORY_LOCKS } from '@passerelle/persistence';
import { KAFKA } from '../kafka.token';

/** One relay at a time per database, so events leave in commit order. */
const RELAY_LOCK_KEY = ADVISORY_LOCKS.consentOutboxRelay;
const BATCH = 200;
const IDLE_POLL_MS = 500;
const MAX_BACKOFF_MS = 5_000;

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: string;
}

/**
 * Publishes the consent outbox to Kafka: rows were written in the same transaction as the
 * consent change, so an event is never lost; the relay marks them sent after the broker
 * acknowledged, and retries with backoff while the broker is down. Delivery is at least once
 * (a crash between the broker's ack and the commit republishes): consumers key on
 * (consent_id, event).
 */
@Injectable()
export class ConsentOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly knownTopics = new Set<string>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private nudged = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.loop = this.run();
  }

  async onApplicationShutdown() {
    this.stopped = true;
    this.wake?.();
    // A publish stuck on an unreachable broker must not hold the shutdown: the outbox keeps the rows.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 3000).unref())]);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** A change was committed: publish now rather than at the next poll. */
  nudge() {
    this.nudged = true;
    this.wake?.();
  }

  private async run() {
    let backoff = 0;
    while (!this.stopped) {
      this.nudged = false;
      let published = 0;
      try {
        published = await this.drainOnce();
        if (backoff > 0) this.logger.info('consent outbox: broker reachable again, publishing');
        backoff = 0;
      } catch (err) {
        backoff = Math.min(Math.max(250, backoff * 2), MAX_BACKOFF_MS);
        this.logger.warn({ err: { message: (err as Error).message }, retryInMs: backoff }, 'consent outbox: publishing failed, will retry');
        await this.resetKafka();
      }
      if (published === BATCH && backoff === 0) continue;
      if (this.nudged && backoff === 0) continue;
      await this.sleep(backoff || IDLE_POLL_MS);
    }
  }

  /** Publishes one batch of pending rows; returns how many were published. */
  async drainOnce(): Promise<number> {
    const pending = (await this.dataSource.query(`SELECT 1 FROM consent_outbox WHERE sent_at IS NULL LIMIT 1`)) as unknown[];
    if (pending.length === 0) return 0;
    const producer = await this.connectedProducer();
    let failure: Error | undefined;
    const count = await this.dataSource.transaction(async (m) => {
      const [{ locked }] = (await m.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK_KEY])) as Array<{ locked: boolean }>;
      if (!locked) return 0;
      const rows = (await m.query(`SELECT id, topic, message_key, payload FROM consent_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1`, [BATCH])) as OutboxRow[];
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      try {
        await this.publish(producer, rows);
      } catch (e) {
        failure = e as Error;
        await m.query(`UPDATE consent_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [ids, String(failure.message).slice(0, 500)]);
        return 0;
      }
      await m.query(`UPDATE consent_outbox SET attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])`, [ids]);
      return rows.length;
    });
    if (failure) throw failure;
    if (count > 0) this.logger.debug({ count }, 'consent outbox: events published');
    return count;
  }

  private async publish(producer: Producer, rows: OutboxRow[]) {
    const byTopic = new Map<string, OutboxRow[]>();
    for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) {
      await this.ensureTopic(topic);
      await producer.send({
        topic,
        acks: -1,
        messages: list.map((r) => ({ key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json' } })),
      });
    }
  }

  private async ensureTopic(topic: string) {
    if (this.knownTopics.has(topic)) return;
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    await this.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    this.knownTopics.add(topic);
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = createReliableProducer(this.kafka);
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async resetKafka() {
    const producer = this.producer;
    const admin = this.admin;
    this.producer = undefined;
    this.admin = undefined;
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
