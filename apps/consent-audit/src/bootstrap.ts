import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { consentAuditServerOptions } from '@passerelle/contracts';
import { NestPinoLogger, type Logger } from '@passerelle/logger';
import { DependencyHealthService, onShutdown, startProbeServer } from '@passerelle/observability';
import { Registry } from 'prom-client';
import { AppModule } from './app.module';
import type { ConsentAuditConfig } from './consent-audit.config';
import { LedgerService } from './ledger/ledger.service';

/** gRPC server (with the standard grpc.health.v1 service) plus an HTTP probe for /health and /metrics. */
export async function bootstrapConsentAudit(config: ConsentAuditConfig, logger: Logger) {
  const grpcHealth = new HealthImplementation({ '': 'NOT_SERVING' });
  const grpc = consentAuditServerOptions(config.CONSENT_AUDIT_URL, config.grpcTls);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot(config, logger), {
    ...grpc,
    options: { ...grpc.options, onLoadPackageDefinition: (_pkg: unknown, server: Parameters<HealthImplementation['addToServer']>[0]) => grpcHealth.addToServer(server) },
    logger: new NestPinoLogger(logger),
  });
  await app.listen();
  grpcHealth.setStatus('', 'SERVING');
  const health = app.get(DependencyHealthService);
  const ledger = app.get(LedgerService);
  const probe = await startProbeServer({ port: config.CONSENT_AUDIT_METRICS_PORT, registry: app.get(Registry), checks: health.checks(), roles: () => ({ ledger: ledger.role }) });
  logger.info({ grpc: config.CONSENT_AUDIT_URL, tls: config.grpcTls.mode, probe: `http://127.0.0.1:${config.CONSENT_AUDIT_METRICS_PORT}` }, 'consent-audit listening');
  onShutdown(logger, [
    async () => grpcHealth.setStatus('', 'NOT_SERVING'),
    () => new Promise((r) => probe.close(() => r(undefined))),
    () => app.close(),
  ]);
  return app;
}
