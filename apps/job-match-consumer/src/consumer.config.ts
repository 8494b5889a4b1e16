import type { Config } from '@passerelle/config';

export type ConsumerConfig = Config<
  'DATABASE_URL' | 'KAFKA_BROKERS' | 'PASSERELLE_REGISTRY' | 'PASSERELLE_SECRETS_DIR' | 'CONSENT_AUDIT_URL' | 'CONSUMER_METRICS_PORT' | 'LOG_LEVEL'
>;

export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');
