import { z } from 'zod';
import type { Config, GrpcTls } from '@passerelle/config';
import { TOPICS } from '@passerelle/messaging';

export type ConsumerConfig = Config<
  'DATABASE_URL' | 'KAFKA_BROKERS' | 'PASSERELLE_REGISTRY' | 'PASSERELLE_SECRETS_DIR' | 'CONSENT_AUDIT_URL' | 'CONSUMER_METRICS_PORT' | 'LOG_LEVEL'
> &
  MatchSettings & { grpcTls: GrpcTls };

export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');

const TOPIC = /^[A-Za-z0-9._-]{1,200}$/;
const seconds = (max: number) =>
  z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(0, 'must be 0 or more').max(max, `must be at most ${max}`);

/** The job-match consumer's own settings (documented here; they only concern this app). */
const matchVariables = {
  /** Topic of signed job-match events; its dead-letter topic is `<topic>.dlq`. */
  JOB_MATCH_TOPIC: z.string().regex(TOPIC, 'must be a Kafka topic name').default(TOPICS.jobMatches),
  /** Consumer group id (docs/contract.md §1). */
  JOB_MATCH_GROUP: z.string().regex(TOPIC, 'must be a Kafka group id (A-Z a-z 0-9 . _ -)').default('passerelle.job-match-consumer'),
  /**
   * Kafka group session timeout (ms): how long a silent member keeps its partitions before the
   * group rebalances (a crashed consumer's partitions move after this). Broker bounds: 6 s..5 min by default.
   */
  JOB_MATCH_SESSION_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be whole milliseconds').min(1000, 'must be at least 1000').max(600_000, 'must be at most 600000').default(30_000),
  /**
   * Worker threads that verify event signatures (Ed25519/P-256 key operations), beside the main
   * thread that decodes, stores and audits; 0 verifies on the main thread.
   */
  JOB_MATCH_VERIFY_THREADS: z.coerce.number({ error: 'must be a number of threads' }).int('must be a whole number').min(0, 'must be 0 or more').max(16, 'must be at most 16').default(1),
  /**
   * The longest one event may hold its partition while the dependencies work (default 5 min): an
   * event refused for good, or still failing after this, is dead-lettered (`refused_<status>`,
   * `held_too_long`) once a probe shows consent-audit and the database answering. During an outage
   * (the probe fails too) events wait, however long, and nothing is dead-lettered.
   */
  JOB_MATCH_MAX_HOLD_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(24 * 3600, `must be at most ${24 * 3600}`)
    .default(300),
  /** How long matches of a claimant with no JOB_MATCHING consent in force are kept before purge (default 24 h). */
  MATCH_PURGE_GRACE_SECONDS: seconds(365 * 24 * 3600).default(24 * 3600),
  /** How often the purge job runs (default 10 min; 0 turns the job off). */
  MATCH_PURGE_INTERVAL_SECONDS: seconds(24 * 3600).default(600),
} as const;

export type MatchSettings = { [K in keyof typeof matchVariables]: z.output<(typeof matchVariables)[K]> };

/** Pure: the consumer's settings from the environment; throws naming the first bad variable. */
export function parseMatchSettings(env: Record<string, string | undefined>): MatchSettings {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(matchVariables)) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = (schema as z.ZodType).safeParse(raw);
    if (!result.success) throw new Error(`${name} is malformed: ${result.error.issues[0].message}`);
    out[name] = result.data;
  }
  return out as MatchSettings;
}

/** The dead-letter topic of a job-match topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
