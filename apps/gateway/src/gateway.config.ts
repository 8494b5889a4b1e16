import type { Config, GrpcTls } from '@passerelle/config';

export type GatewayConfig = Config<
  | 'DATABASE_URL'
  | 'KAFKA_BROKERS'
  | 'PASSERELLE_REGISTRY'
  | 'PASSERELLE_SECRETS_DIR'
  | 'GATEWAY_PORT'
  | 'GATEWAY_HOST'
  | 'GATEWAY_UNVERIFIED_PER_MINUTE'
  | 'CONSENT_AUDIT_URL'
  | 'LOG_LEVEL'
  | 'NODE_ENV'
  | 'GATEWAY_PROBE_PORT'
  | 'GATEWAY_PROBE_HOST'
  | 'CONSUMER_METRICS_URL'
> & { grpcTls: GrpcTls };

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
