/** The Kafka topic referral transitions are published to. */
export const REFERRAL_TOPIC = Symbol('REFERRAL_TOPIC');
export const DEFAULT_REFERRAL_TOPIC = 'passerelle.referrals.v1';

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * PASSERELLE_REFERRAL_TOPIC (default passerelle.referrals.v1). Throws a one-line error naming the
 * variable when it is malformed, so the gateway refuses to start.
 */
export function referralTopicFromEnv(env: Record<string, string | undefined> = process.env): string {
  const raw = env.PASSERELLE_REFERRAL_TOPIC;
  if (raw === undefined || raw === '') return DEFAULT_REFERRAL_TOPIC;
  if (!TOPIC_NAME.test(raw) || raw === '.' || raw === '..') {
    throw new Error('PASSERELLE_REFERRAL_TOPIC is malformed: must be a Kafka topic name (1–249 of A-Z a-z 0-9 . _ -)');
  }
  return raw;
}
