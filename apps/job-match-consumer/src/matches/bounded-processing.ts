import type { Logger } from '@passerelle/logger';
import type { DeadLetterCode } from '@passerelle/messaging';
import type { KafkaMessage } from 'kafkajs';
import { backoffMs, RefusedForGood, DependencyUnavailable, grpcStatusName, HeldTooLong, pause, type RetryContext } from './dependency';

/** What bounded processing needs of the pipeline. */
export interface PartitionWork<Checked = unknown> {
  /** `checked`: the messages' checks, started earlier (see processBounded); checked here when absent */
  process(topic: string, partition: number, messages: KafkaMessage[], ctx: RetryContext, checked?: Promise<Checked>): Promise<unknown>;
  deadLetterOne(topic: string, partition: number, message: KafkaMessage, reason: { code: DeadLetterCode; detail: string }, ctx: RetryContext): Promise<unknown>;
  /** whether consent-audit and the database answer a question that involves no event */
  dependenciesAnswer(): Promise<boolean>;
}

type AloneOutcome = 'passed' | 'passed_after_waiting' | 'dead_lettered';

/**
 * Processes one chunk of a partition, in order, so that no single event holds the partition for
 * longer than about `boundMs` (JOB_MATCH_MAX_HOLD_SECONDS) while its dependencies work.
 *
 * How a stuck event is told from an outage: the chunk gets half the bound. If it is refused
 * (RefusedForGood) or still failing then, its events are processed one at a time, each with
 * the other half. An event refused for good, or still failing at its deadline, is dead-lettered
 * only if consent-audit and the database answer a probe that involves no event, and the event
 * fails once more right after (and the ledger then takes its minimal DENY entry): the
 * dependencies work, so the event is the problem. If the
 * probe fails, it is an outage: the event waits, with backoff, however long that takes, and nothing
 * is dead-lettered. Once an event was dead-lettered, or passed after waiting out an outage, the
 * rest of the chunk goes back to being processed as a chunk.
 */
export async function processBounded<Checked>(
  work: PartitionWork<Checked>,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  ctx: RetryContext,
  boundMs: number,
  logger: Logger,
  checked?: Promise<Checked>,
): Promise<void> {
  let rest = messages;
  while (rest.length > 0) {
    try {
      // The checks made ahead are for the whole chunk: used for its first attempt only.
      await work.process(topic, partition, rest, { ...ctx, deadline: Date.now() + boundMs / 2 }, rest === messages ? checked : undefined);
      return;
    } catch (e) {
      if (!(e instanceof HeldTooLong) && !(e instanceof RefusedForGood)) throw e;
      logger.warn({ topic, partition, events: rest.length, err: e.message }, 'job-match chunk cannot pass as a whole: processing its events one at a time');
    }
    for (;;) {
      const outcome = await processAlone(work, topic, partition, rest[0], ctx, boundMs, logger);
      rest = rest.slice(1);
      if (outcome !== 'passed' || rest.length === 0) break;
    }
  }
}

async function processAlone(work: PartitionWork, topic: string, partition: number, message: KafkaMessage, ctx: RetryContext, boundMs: number, logger: Logger): Promise<AloneOutcome> {
  let waited = false;
  const mine: RetryContext = {
    ...ctx,
    onRetry: (err, attempt, waitMs) => {
      waited = true;
      ctx.onRetry(err, attempt, waitMs);
    },
  };
  for (let attempt = 0; ; attempt++) {
    let reason: { code: DeadLetterCode; detail: string };
    try {
      await work.process(topic, partition, [message], { ...mine, deadline: Date.now() + boundMs / 2 });
      return waited ? 'passed_after_waiting' : 'passed';
    } catch (e) {
      if (e instanceof RefusedForGood) {
        // consent-audit's messages name the problem, never a value
        reason = { code: e.code, detail: `${e.by} refused this event for good (${grpcStatusName(e.status)}): ${e.details}`.slice(0, 500) };
      } else if (e instanceof HeldTooLong) {
        reason = { code: 'held_too_long', detail: `this event kept failing (${e.last.dependency}) for longer than the consumer's bound of ${Math.round(boundMs / 1000)} s while its dependencies answered` };
      } else throw e;
    }
    if (await work.dependenciesAnswer()) {
      // The dependencies answer now: one more try, without retries, so that an outage that ended
      // between the failure and the probe does not cost a good event.
      try {
        await work.process(topic, partition, [message], { ...mine, deadline: Date.now() });
        return 'passed_after_waiting';
      } catch (e) {
        if (!(e instanceof HeldTooLong) && !(e instanceof RefusedForGood)) throw e;
      }
      await work.deadLetterOne(topic, partition, message, reason, mine);
      return 'dead_lettered';
    }
    waited = true;
    const wait = backoffMs(attempt);
    logger.warn({ topic, partition, offset: message.offset, code: reason.code, waitMs: wait }, 'job-match event stuck, but consent-audit or the database does not answer: an outage, so waiting, not dead-lettering');
    ctx.onRetry(new DependencyUnavailable('consent-audit', new Error('the probe got no answer')), attempt + 1, wait);
    await pause(wait, ctx);
  }
}
