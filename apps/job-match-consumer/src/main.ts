import 'reflect-metadata';
import { loadConfig } from '@passerelle/config';
import { createLogger } from '@passerelle/logger';
import { bootstrapConsumer } from './bootstrap';

async function main() {
  const config = loadConfig('job-match-consumer', [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'PASSERELLE_REGISTRY',
    'PASSERELLE_SECRETS_DIR',
    'CONSENT_AUDIT_URL',
    'CONSUMER_METRICS_PORT',
    'LOG_LEVEL',
  ]);
  const logger = createLogger('job-match-consumer', config.LOG_LEVEL);
  try {
    await bootstrapConsumer(config, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'job-match-consumer failed to start');
    process.exit(1);
  }
}

void main();
