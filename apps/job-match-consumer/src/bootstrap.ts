import { NestFactory } from '@nestjs/core';
import { NestPinoLogger, type Logger } from '@passerelle/logger';
import { DependencyHealthService, onShutdown, startProbeServer } from '@passerelle/observability';
import { Registry } from 'prom-client';
import { AppModule } from './app.module';
import type { ConsumerConfig } from './consumer.config';

/** A Nest application context (no HTTP API) plus the /health and /metrics probe. */
export async function bootstrapConsumer(config: ConsumerConfig, logger: Logger) {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), { logger: new NestPinoLogger(logger) });
  await app.init();
  const health = app.get(DependencyHealthService);
  const probe = await startProbeServer({ port: config.CONSUMER_METRICS_PORT, registry: app.get(Registry), checks: health.checks() });
  logger.info({ probe: `http://127.0.0.1:${config.CONSUMER_METRICS_PORT}` }, 'job-match-consumer running');
  onShutdown(logger, [() => new Promise((r) => probe.close(() => r(undefined))), () => app.close()]);
  return app;
}
