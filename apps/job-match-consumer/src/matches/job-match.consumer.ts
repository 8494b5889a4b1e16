import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { ensureTopics } from '@passerelle/messaging';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { KAFKA } from '../kafka.token';
import { ProcessingAborted } from './dependency';
import { processBounded } from './bounded-processing';
import { JobMatchPipeline } from './job-match.pipeline';
import { MatchesMetrics } from './matches.metrics';

/**
 * Messages handed to the pipeline at once (one consent round, ONE transaction storing the events
 * and sequencing their entries, one DLQ send). Each chunk costs a fixed number of round trips
 * whatever its size, and the ingest waits on those more than on CPU (bench/notes.md,
 * "## kafka-ingest"); 1,000 is also the most entries any sequencer puts in one statement.
 */
const CHUNK = 1000;
/** Bytes fetched per partition per round: room for a few whole chunks of batch-signed events (≈ 1.1 kB each; kafkajs' 1 MiB default held less than one). */
const FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/**
 * Partitions whose batches are processed at once: while one chunk waits on its round trips
 * (consent, transaction, ledger, commit), the others' signatures are checked.
 */
const PARTITIONS_AT_ONCE = 4;

/**
 * The kafkajs consumer of job-match events (group JOB_MATCH_GROUP, topic JOB_MATCH_TOPIC).
 * At-least-once: offsets are committed only after a chunk is stored, dead-lettered and audited;
 * a redelivered event is a duplicate (processed_events), so the net effect is exactly once.
 */
@Injectable()
export class JobMatchConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: Consumer;
  private running = false;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly pipeline: JobMatchPipeline,
    private readonly metrics: MatchesMetrics,
  ) {
    this.consumer = kafka.consumer({ groupId: config.JOB_MATCH_GROUP, sessionTimeout: config.JOB_MATCH_SESSION_TIMEOUT_MS, heartbeatInterval: Math.min(3_000, Math.floor(config.JOB_MATCH_SESSION_TIMEOUT_MS / 3)), allowAutoTopicCreation: false, maxBytesPerPartition: FETCH_BYTES_PER_PARTITION });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment[config.JOB_MATCH_TOPIC] ?? [];
      this.logger.info({ group: config.JOB_MATCH_GROUP, topic: config.JOB_MATCH_TOPIC, partitions: assignment }, 'joined the job-match consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'job-match consumer crashed');
      if (!e.payload.restart && this.running) void this.rejoinAfterCrash();
    });
  }

  async onApplicationBootstrap() {
    await ensureTopics(this.kafka, [this.config.JOB_MATCH_TOPIC, `${this.config.JOB_MATCH_TOPIC}.dlq`]);
    await this.start();
  }

  /**
   * kafkajs restarts its consumer only after retriable errors. After a non-retriable one, e.g.
   * "the coordinator is not aware of this member" once the broker was unreachable for longer than
   * the session, it disconnects and stays stopped while the process lives on: nothing would be
   * consumed again. So rejoin the group ourselves, with backoff, until it works or we shut down.
   * Uncommitted events are delivered again and deduplicated (processed_events).
   */
  private async rejoinAfterCrash(): Promise<void> {
    for (let attempt = 1; this.running; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** (attempt - 1))));
      if (!this.running) return;
      try {
        await this.consumer.disconnect().catch(() => undefined);
        await this.start();
        this.logger.warn({ attempt }, 'job-match consumer rejoined its group after a crash');
        return;
      } catch (err) {
        this.logger.error({ err, attempt }, 'job-match consumer could not rejoin its group yet; retrying');
      }
    }
  }

  private async start() {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.JOB_MATCH_TOPIC, fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const ctx = {
      shouldContinue: () => this.running && isRunning() && !isStale(),
      heartbeat,
      onRetry: (err: Error & { dependency?: string }, attempt: number, waitMs: number) => {
        this.metrics.dependencyRetries.inc({ dependency: err.dependency ?? 'unknown' });
        this.logger.warn({ dependency: err.dependency, attempt, waitMs, topic, partition, err: err.message }, 'dependency unavailable: retrying the events, not dead-lettering them');
      },
    };
    const chunks: KafkaMessage[][] = [];
    for (let i = 0; i < batch.messages.length; i += CHUNK) chunks.push(batch.messages.slice(i, i + CHUNK));
    // The next chunk's checks (CPU only, no round trip) run while this chunk waits on its round
    // trips — started on the next turn of the event loop, once this chunk's first request is
    // sent. Chunks are still stored, audited and committed strictly in order.
    const ahead = (k: number) => {
      if (k >= chunks.length) return undefined;
      const p = new Promise<void>((r) => setImmediate(r)).then(() => this.pipeline.check(chunks[k]));
      p.catch(() => undefined); // a failure surfaces when the chunk is processed
      return p;
    };
    let next = ahead(0);
    for (let k = 0; k < chunks.length; k++) {
      const chunk = chunks[k];
      const checked = next;
      next = ahead(k + 1);
      try {
        await processBounded(this.pipeline, topic, partition, chunk, ctx, this.config.JOB_MATCH_MAX_HOLD_SECONDS * 1000, this.logger, checked);
      } catch (e) {
        if (e instanceof ProcessingAborted) return; // not committed: the next owner takes over
        throw e;
      }
      const last = chunk[chunk.length - 1].offset;
      resolveOffset(last);
      // With autoCommit off, commitOffsetsIfNecessary() never commits (kafkajs commits there only
      // on an interval/threshold), so commit explicitly: the next offset to read.
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
      this.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
    }
  }

  async onApplicationShutdown() {
    this.running = false;
    await this.consumer.disconnect().catch((err) => this.logger.warn({ err }, 'job-match consumer did not disconnect cleanly'));
  }
}
