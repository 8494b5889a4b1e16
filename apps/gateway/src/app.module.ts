import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { LOGGER, type Logger } from '@passerelle/logger';
import { PersistenceModule } from '@passerelle/persistence';
import { createKafka } from '@passerelle/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { KAFKA } from './kafka.token';
import { GatewayInfoResolver } from './gateway-info.resolver';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, applicationName: 'passerelle-gateway', poolSize: 20 }),
        GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: false,
          jit: 1,
          path: '/graphql',
        }),
        HealthModule,
        MetricsModule,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KAFKA, useValue: createKafka(config.KAFKA_BROKERS, 'passerelle-gateway', logger) },
        GatewayInfoResolver,
      ],
      exports: [GATEWAY_CONFIG, LOGGER, KAFKA],
    };
  }
}
