import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import { createReliableProducer } from './kafka';

/** How one outbox table is read and published: everything else is the relay's. */
export interface OutboxDeclaration<Row extends { id: string; topic: string }> {
  /** Used in log messages, e.g. 'consent outbox'. */
  logName: string;
  table: string;
  /** The column set when the broker acknowledged the row (NULL while pending). */
  publishedColumn: string;
  /** SQL type of `id`, for the `ANY($1::<type>[])` cast. */
  idType: 'bigint' | 'uuid';
  /** Columns to read; must include id and topic. */
  columns: readonly string[];
  /** ORDER BY clause: the order rows leave in (commit order). */
  orderBy: string;
  /** Transaction advisory lock key: one relay at a time per database (ADVISORY_LOCKS). */
  lockKey: number;
  /**
   * Whether the table has `attempts` and `last_error`: then a failed publish is recorded on the
   * rows (and committed); without them, the transaction is rolled back.
   */
  tracksAttempts: boolean;
  /** `value` is text (JSON outboxes) or bytes (protobuf outboxes). */
  toMessage(row: Row): { key: string; value: string | Buffer; headers: IHeaders };
}

/** What the relay needs of a database: TypeORM's DataSource fits. */
export interface OutboxDatabase {
  query(sql: string, parameters?: unknown[]): Promise<any>;
  transaction<T>(work: (manager: { query(sql: string, parameters?: unknown[]): Promise<any> }) => Promise<T>): Promise<T>;
}

export interface OutboxLogger {
  info(msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface OutboxRelayTiming {
  batch: number;
  idlePollMs: number;
  maxBackoffMs: number;
  /** A publish stuck on an unreachable broker must not hold the shutdown: the outbox keeps the rows. */
  shutdownTimeoutMs: number;
}

export const OUTBOX_RELAY_TIMING: OutboxRelayTiming = Object.freeze({ batch: 200, idlePollMs: 500, maxBackoffMs: 5_000, shutdownTimeoutMs: 3000 });

/**
 * Publishes a transactional outbox to Kafka: rows were written in the same transaction as the
 * change, so an event is never lost; rows are marked published only after the broker
 * acknowledged, and publishing is retried with backoff while the broker is down. Delivery is at
 * least once (a crash between the ack and the commit republishes), in commit order: one relay at
 * a time per database holds the declaration's transaction advisory lock. Topics are created by
 * the relay through the admin client, never by a send.
 */
export class OutboxRelay<Row extends { id: string; topic: string }> {
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly knownTopics = new Set<string>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private nudged = false;
  private loop: Promise<void> | undefined;
  private readonly timing: OutboxRelayTiming;

  constructor(
    private readonly outbox: OutboxDeclaration<Row>,
    private readonly db: OutboxDatabase,
    private readonly kafka: Pick<Kafka, 'admin' | 'producer'>,
    private readonly logger: OutboxLogger,
    timing: Partial<OutboxRelayTiming> = {},
  ) {
    this.timing = { ...OUTBOX_RELAY_TIMING, ...timing };
  }

  start() {
    this.loop ??= this.run();
  }

  async stop() {
    this.stopped = true;
    this.wake?.();
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, this.timing.shutdownTimeoutMs).unref())]);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** A change was committed: publish now rather than at the next poll. */
  nudge() {
    this.nudged = true;
    this.wake?.();
  }

  private async run() {
    const { logName } = this.outbox;
    let backoff = 0;
    while (!this.stopped) {
      this.nudged = false;
      let published = 0;
      try {
        published = await this.drainOnce();
        if (backoff > 0) this.logger.info(`${logName}: broker reachable again, publishing`);
        backoff = 0;
      } catch (err) {
        backoff = Math.min(Math.max(250, backoff * 2), this.timing.maxBackoffMs);
        this.logger.warn({ err: { message: (err as Error).message }, retryInMs: backoff }, `${logName}: publishing failed, will retry`);
        await this.resetKafka();
      }
      if (published === this.timing.batch && backoff === 0) continue;
      if (this.nudged && backoff === 0) continue;
      // stop() during a drain found no sleep to cut short: do not start one.
      if (this.stopped) break;
      await this.sleep(backoff || this.timing.idlePollMs);
    }
  }

  /** Publishes one batch of pending rows; returns how many were published. */
  async drainOnce(): Promise<number> {
    const { table, publishedColumn, idType, columns, orderBy, lockKey, tracksAttempts, logName } = this.outbox;
    const pending = (await this.db.query(`SELECT 1 FROM ${table} WHERE ${publishedColumn} IS NULL LIMIT 1`)) as unknown[];
    if (pending.length === 0) return 0;
    const producer = await this.connectedProducer();
    let failure: Error | undefined;
    const count = await this.db.transaction(async (m) => {
      const [{ locked }] = (await m.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [lockKey])) as Array<{ locked: boolean }>;
      if (!locked) return 0;
      const rows = (await m.query(`SELECT ${columns.join(', ')} FROM ${table} WHERE ${publishedColumn} IS NULL ORDER BY ${orderBy} LIMIT $1`, [this.timing.batch])) as Row[];
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      try {
        await this.publish(producer, rows);
      } catch (e) {
        if (!tracksAttempts) throw e;
        failure = e as Error;
        await m.query(`UPDATE ${table} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::${idType}[])`, [ids, String(failure.message).slice(0, 500)]);
        return 0;
      }
      const bookkeeping = tracksAttempts ? 'attempts = attempts + 1, last_error = NULL, ' : '';
      await m.query(`UPDATE ${table} SET ${bookkeeping}${publishedColumn} = now() WHERE id = ANY($1::${idType}[])`, [ids]);
      return rows.length;
    });
    if (failure) throw failure;
    if (count > 0) this.logger.debug({ count }, `${logName}: events published`);
    return count;
  }

  private async publish(producer: Producer, rows: Row[]) {
    const byTopic = new Map<string, Row[]>();
    for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) {
      await this.ensureTopic(topic);
      await producer.send({ topic, acks: -1, messages: list.map((r) => this.outbox.toMessage(r)) });
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
      const producer = createReliableProducer(this.kafka as Kafka); // topics are created by ensureTopic, never by a send
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

/**
 * The relay as a Nest provider: a subclass adds @Injectable() and a constructor passing its
 * declaration; Nest's lifecycle hooks start it at bootstrap and stop it at shutdown.
 */
export abstract class OutboxRelayProvider<Row extends { id: string; topic: string }> extends OutboxRelay<Row> {
  onApplicationBootstrap() {
    this.start();
  }

  onApplicationShutdown() {
    return this.stop();
  }
}
