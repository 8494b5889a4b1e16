import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestPinoLogger, type Logger } from '@passerelle/logger';
import { onShutdown } from '@passerelle/observability';
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
  logger.info({ url: `http://${config.GATEWAY_HOST}:${config.GATEWAY_PORT}` }, 'gateway listening');
  onShutdown(logger, [() => app.close()]);
  return app;
}
