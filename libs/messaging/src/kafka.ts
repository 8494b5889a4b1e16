import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
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

export { createReliableProducer, RELIABLE_PRODUCER, MAX_RESEND_ROUNDS } from './reliable-producer';

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
      // the cluster's default.replication.factor (3 on the fleet's cluster, 1 on a lone broker)
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
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
