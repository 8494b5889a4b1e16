import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { Logger } from 'pino';

export const TOPICS = {
  jobMatches: 'jobbank.matches.v1',
  jobMatchesDlq: 'jobbank.matches.v1.dlq',
  consents: 'passerelle.consent.v1',
} as const;

/** A kafkajs client whose own logs go through our structured logger. */
export function createKafka(brokers: string[], clientId: string, logger?: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 5, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = entry.log;
      const level = entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      logger[level]({ kafka: entry.namespace, ...rest }, message);
    },
  });
}

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

/**
 * The one way to create a Kafka producer (libs/messaging/src/producer-settings.spec.ts fails on
 * a `.producer(` anywhere else). `send` refuses an acks other than -1, so an acknowledged event
 * is on min.insync.replicas brokers.
 */
export function createReliableProducer(kafka: Kafka, options: { transactionTimeout?: number } = {}): Producer {
  const { acks, ...config } = RELIABLE_PRODUCER;
  const producerConfig: ProducerConfig = { ...config, ...options, createPartitioner: Partitioners.DefaultPartitioner };
  const producer = kafka.producer(producerConfig);
  const send = producer.send.bind(producer);
  producer.send = (record) => {
    if (record.acks !== undefined && record.acks !== acks) return Promise.reject(new Error(`a Passerelle producer sends with acks ${acks} (all in-sync replicas), not ${record.acks}`));
    return send({ ...record, acks });
  };
  return producer;
}

/** A health check that keeps one admin connection and asks the cluster to describe itself. */
export function kafkaHealthCheck(kafka: Kafka): { check: () => Promise<void>; close: () => Promise<void> } {
  let admin: Admin | undefined;
  return {
    check: async () => {
      if (!admin) {
        admin = kafka.admin();
        try {
          await admin.connect();
        } catch (e) {
          admin = undefined;
          throw e;
        }
      }
      await admin.describeCluster();
    },
    close: async () => {
      await admin?.disconnect();
    },
  };
}

/**
 * Creates the topics that do not exist yet (others are left as they are). Subscribing to a
 * topic that does not exist fails on a fresh broker, so every app ensures its own topics.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })), waitForLeaders: true });
    } catch (e) {
      // Another process may have created them meanwhile: that is fine.
      if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
    }
  } finally {
    await admin.disconnect();
  }
}

/** The Nest injection token of an app's kafkajs client. */
export const KAFKA = Symbol('KAFKA');
