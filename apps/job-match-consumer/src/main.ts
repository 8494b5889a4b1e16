import './tracing';
import 'reflect-metadata';
import { loadConfig, loadGrpcTls } from '@passerelle/config';
import { createLogger } from '@passerelle/logger';
import { bootstrapConsumer } from './bootstrap';
import { parseMatchSettings, type MatchSettings } from './consumer.config';

async function main() {
  const config = loadConfig('job-match-consumer', [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'PASSERELLE_REGISTRY',
    'PASSERELLE_SECRETS_DIR',
    'CONSENT_AUDIT_URL',
    'CONSUMER_METRICS_PORT',
    'LOG_LEVEL',
    'LOG_FORMAT',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
  ]);
  let settings: MatchSettings;
  try {
    settings = parseMatchSettings(process.env);
  } catch (e) {
    process.stderr.write(`job-match-consumer: configuration error: ${(e as Error).message}\n`);
    process.exit(78);
  }
  const logger = createLogger('job-match-consumer', config.LOG_LEVEL);
  const grpcTls = await loadGrpcTls('job-match-consumer', 'job-match-consumer', (msg) => logger.error(msg));
  try {
    await bootstrapConsumer({ ...config, ...settings, grpcTls }, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'job-match-consumer failed to start');
    process.exit(1);
  }
}

void main();
