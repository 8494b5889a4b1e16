import type { Config, GrpcTls } from '@passerelle/config';

export type ConsentAuditConfig = Config<
  'DATABASE_URL' | 'KAFKA_BROKERS' | 'PASSERELLE_REGISTRY' | 'PASSERELLE_SECRETS_DIR' | 'PASSERELLE_LOG_KEY_DIR' | 'CONSENT_AUDIT_URL' | 'CONSENT_AUDIT_METRICS_PORT' | 'LOG_LEVEL' | 'LEDGER_MMD_MS'
> & { grpcTls: GrpcTls };

export const CONSENT_AUDIT_CONFIG = Symbol('CONSENT_AUDIT_CONFIG');
