import { TOPICS } from '@passerelle/messaging';

/** The gateway signing keys, for consent receipts. */
/** The Kafka topic consent events are published to. */
export const CONSENT_TOPIC = Symbol('CONSENT_TOPIC');

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * PASSERELLE_CONSENT_TOPIC (default passerelle.consent.v1). Throws a one-line error naming the
 * variable when it is malformed, so the process refuses to start.
 */
export function consentTopicFromEnv(env: Record<string, string | undefined> = process.env): string {
  const raw = env.PASSERELLE_CONSENT_TOPIC;
  if (raw === undefined || raw === '') return TOPICS.consents;
  if (!TOPIC_NAME.test(raw) || raw === '.' || raw === '..') {
    throw new Error('PASSERELLE_CONSENT_TOPIC is malformed: must be a Kafka topic name (1–249 of A-Z a-z 0-9 . _ -)');
  }
  return raw;
}
