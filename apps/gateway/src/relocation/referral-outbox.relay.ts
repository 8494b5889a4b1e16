import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createReliableProducer } from '@passerelle/messaging';
import { DataSource } from 'typeorm';
import { KAFKA } from '../kafka.token';

/** Arbitrary constant, distinct from the other advisory locks: one relay at a time per database, so moves leave in commit order. */
const RELAY_LOCK_KEY = 8_724_112_016;
const BATCH = 200;
const IDLE_POLL_MS = 500;
const MAX_BACKOFF_MS = 5_000;

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  event: string;
  payload: string;
}

/**
 * Publishes referral moves from `referral_outbox` to Kafka (as the consent outbox relay does):
 * rows were written with the move, so none is lost; marked published after the broker's ack,
 * retried with backoff while it is down. At least once: consumers key on (referral_id, event).
 */
@Injectable()
export class ReferralOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
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
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 3000).unref())]);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** A move was committed: publish now rather than at the next poll. */
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
        backoff = 0;
      } catch (err) {
        backoff = Math.min(Math.max(250, backoff * 2), MAX_BACKOFF_MS);
        this.logger.warn({ err: { message: (err as Error).message }, retryInMs: backoff }, 'referral outbox: publishing failed, will retry');
        await this.resetKafka();
      }
      if (published === BATCH && backoff === 0) continue;
      if (this.nudged && backoff === 0) continue;
      await this.sleep(backoff || IDLE_POLL_MS);
    }
  }

  async drainOnce(): Promise<number> {
    const pending = (await this.dataSource.query(`SELECT 1 FROM referral_outbox WHERE published_at IS NULL LIMIT 1`)) as unknown[];
    if (pending.length === 0) return 0;
    const producer = await this.connectedProducer();
    return this.dataSource.transaction(async (m) => {
      const [{ locked }] = (await m.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK_KEY])) as Array<{ locked: boolean }>;
      if (!locked) return 0;
      const rows = (await m.query(`SELECT id, topic, message_key, event, payload FROM referral_outbox WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1`, [BATCH])) as OutboxRow[];
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, OutboxRow[]>();
      for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      for (const [topic, list] of byTopic) {
        await this.ensureTopic(topic);
        await producer.send({
          topic,
          acks: -1,
          messages: list.map((r) => ({ key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json', event: r.event } })),
        });
      }
      await m.query(`UPDATE referral_outbox SET published_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
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
      const producer = createReliableProducer(this.kafka); // topics are created by the relay, never by a send
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
