import './tracing';
import 'reflect-metadata';
import { loadConfig, loadGrpcTls } from '@passerelle/config';
import { createLogger } from '@passerelle/logger';
import { bootstrapConsentAudit } from './bootstrap';

async function main() {
  const config = loadConfig('consent-audit', [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'PASSERELLE_REGISTRY',
    'PASSERELLE_SECRETS_DIR',
    'PASSERELLE_LOG_KEY_DIR',
    'CONSENT_AUDIT_URL',
    'CONSENT_AUDIT_METRICS_PORT',
    'LEDGER_MMD_MS',
    'LOG_LEVEL',
    'LOG_FORMAT',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
  ]);
  const logger = createLogger('consent-audit', config.LOG_LEVEL);
  const grpcTls = await loadGrpcTls('consent-audit', 'consent-audit', (msg) => logger.error(msg));
  try {
    await bootstrapConsentAudit({ ...config, grpcTls }, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'consent-audit failed to start');
    process.exit(1);
  }
}

void main();
