import './tracing';
import 'reflect-metadata';
import { loadConfig, loadGrpcTls } from '@passerelle/config';
import { createLogger } from '@passerelle/logger';
import { bootstrapGateway } from './bootstrap';

async function main() {
  const config = loadConfig('gateway', [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'PASSERELLE_REGISTRY',
    'PASSERELLE_SECRETS_DIR',
    'GATEWAY_PORT',
    'GATEWAY_HOST',
    'GATEWAY_UNVERIFIED_PER_MINUTE',
    'CONSENT_AUDIT_URL',
    'LOG_LEVEL',
    'LOG_FORMAT',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'NODE_ENV',
    'GATEWAY_PROBE_PORT',
    'GATEWAY_PROBE_HOST',
    'CONSUMER_METRICS_URL',
  ]);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const grpcTls = await loadGrpcTls('gateway', 'gateway', (msg) => logger.error(msg));
  try {
    await bootstrapGateway({ ...config, grpcTls }, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'gateway failed to start');
    process.exit(1);
  }
}

void main();
