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
