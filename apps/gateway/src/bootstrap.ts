import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestPinoLogger, type Logger } from '@passerelle/logger';
import { DependencyHealthService, onShutdown, startProbeServer } from '@passerelle/observability';
import { Registry } from 'prom-client';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import type { GatewayConfig } from './gateway.config';

export async function bootstrapGateway(config: GatewayConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: 8 * 1024 * 1024, trustProxy: false });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new NestPinoLogger(logger),
    bufferLogs: false,
  });
  // Not SIGHUP (Nest's default list includes it): SIGHUP reloads the registry (exchange module).
  await app.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
  // Health detail (which dependency failed, with its error) only here, off the public port.
  let probe: Server | undefined;
  if (config.GATEWAY_PROBE_PORT !== undefined) {
    probe = await startProbeServer({ host: config.GATEWAY_PROBE_HOST, port: config.GATEWAY_PROBE_PORT, registry: app.get(Registry), checks: app.get(DependencyHealthService).checks() });
  }
  logger.info(
    { url: `http://${config.GATEWAY_HOST}:${config.GATEWAY_PORT}`, tls: config.grpcTls.mode, probe: probe ? `http://${config.GATEWAY_PROBE_HOST}:${config.GATEWAY_PROBE_PORT}` : null },
    'gateway listening',
  );
  onShutdown(logger, [() => new Promise((r) => (probe ? probe.close(() => r(undefined)) : r(undefined))), () => app.close()]);
  return app;
}
