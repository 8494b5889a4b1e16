import { Partitioners, type Kafka, type Message, type Producer, type ProducerBatch, type ProducerConfig, type ProducerRecord, type RecordMetadata } from 'kafkajs';

/**
 * The settings every producer of ours uses, for a replicated cluster: idempotent (the broker
 * drops a retried batch it already has, so a retry never stores an event twice), which kafkajs
 * only allows with acks from all in-sync replicas (acks -1, its default for `send`) and at most
 * 5 requests in flight; we keep 1, so batches also stay in order across retries. Topics are never
 * created by a send (ensureTopics does it, with the cluster's replication settings).
 */
export const RELIABLE_PRODUCER = Object.freeze({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  acks: -1,
} as const);

/** Rounds of re-sending the partitions a send left out before it is reported as failed. */
export const MAX_RESEND_ROUNDS = 5;

/**
 * The one way to create a Kafka producer (libs/messaging/src/producer-settings.spec.ts fails on
 * a `.producer(` anywhere else). `send` refuses an acks other than -1, so an acknowledged event
 * is on min.insync.replicas brokers.
 *
 * kafkajs 2.2.4's idempotent producer can acknowledge events that were never written, in three
 * ways this wrapper closes (all seen when a broker of three is killed under load):
 * - A send that fails after its retries rolls its sequence numbers back although the broker may
 *   have written the batch. The next send then reuses those numbers for other events, and the
 *   broker, taking it for a retry of the written batch, acknowledges it without writing it. So
 *   after a failed send the next one goes out under a new producer id (a fresh kafkajs producer).
 * - A send spanning several leaders resolves although a partition whose leader moved mid-send
 *   was never sent: the retry skips a broker that already answered (tulios/kafkajs#1303). The
 *   answer then lacks that partition, so its events are sent again (same sequence numbers, so a
 *   copy the broker has is dropped) until every partition answered.
 * - Each retry partitions the send anew, so a keyless event may go to another partition than in
 *   the try the broker wrote, under the same sequence number. Partitions are pinned per event.
 * Sends go out one at a time: a rolled-back sequence must not interleave with another send.
 * Listeners added with `on` follow the producer across a renewal.
 */
export function createReliableProducer(kafka: Kafka, options: { transactionTimeout?: number } = {}): Producer {
  const { acks, ...settings } = RELIABLE_PRODUCER;
  const pinned = new WeakMap<Message, number>();
  const createPartitioner = () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args: Parameters<ReturnType<typeof Partitioners.DefaultPartitioner>>[0]) => {
      const pin = pinned.get(args.message);
      if (pin !== undefined) return pin;
      const chosen = partition(args);
      pinned.set(args.message, chosen);
      return chosen;
    };
  };
  const config: ProducerConfig = { ...settings, ...options, createPartitioner };
  const listeners: Array<Parameters<Producer['on']>> = [];
  let current = kafka.producer(config);
  let renewNeeded = false;
  let queue: Promise<unknown> = Promise.resolve();

  const renew = async () => {
    const old = current;
    current = kafka.producer(config);
    for (const [event, listener] of listeners) current.on(event, listener);
    await old.disconnect().catch(() => undefined);
    await current.connect();
    renewNeeded = false;
  };

  const sendAll = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    if (batch.acks !== undefined && batch.acks !== acks) throw new Error(`a Passerelle producer sends with acks ${acks} (all in-sync replicas), not ${batch.acks}`);
    if (renewNeeded) await renew();
    // copies: a pin holds for this send's events only
    let pending = (batch.topicMessages ?? []).map(({ topic, messages }) => ({ topic, messages: messages.map((m) => ({ ...m })) }));
    const answers: RecordMetadata[] = [];
    for (let round = 0; ; round++) {
      try {
        answers.push(...(await current.sendBatch({ ...batch, acks, topicMessages: pending })));
      } catch (e) {
        renewNeeded = true;
        throw e;
      }
      const answered = new Set(answers.map((r) => `${r.topicName}\u0000${r.partition}`));
      pending = pending
        .map(({ topic, messages }) => ({ topic, messages: messages.filter((m) => !answered.has(`${topic}\u0000${pinned.get(m)}`)) }))
        .filter((t) => t.messages.length > 0);
      if (pending.length === 0) return answers;
      if (round + 1 >= MAX_RESEND_ROUNDS) {
        renewNeeded = true;
        throw new Error(`kafka: ${pending.reduce((n, t) => n + t.messages.length, 0)} events of a send were still unanswered after ${MAX_RESEND_ROUNDS} rounds`);
      }
    }
  };

  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    connect: () => current.connect(),
    disconnect: () => current.disconnect(),
    isIdempotent: () => true,
    get events() {
      return current.events;
    },
    on: (event, listener) => {
      listeners.push([event, listener]);
      return current.on(event, listener);
    },
    transaction: () => current.transaction(),
    logger: () => current.logger(),
    send: (record: ProducerRecord) => oneAtATime(() => sendAll({ acks: record.acks, timeout: record.timeout, compression: record.compression, topicMessages: [{ topic: record.topic, messages: record.messages }] })),
    sendBatch: (batch: ProducerBatch) => oneAtATime(() => sendAll(batch)),
  } as Producer;
}
