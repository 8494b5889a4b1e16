import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { LOGGER, type Logger } from '@passerelle/logger';
import { PersistenceModule } from '@passerelle/persistence';
import { RegistryModule } from '@passerelle/registry/registry.module';
import { createKafka } from '@passerelle/messaging';
import { createMetricsRegistry, DependencyHealthService } from '@passerelle/observability';
import { CONSUMER_CONFIG, type ConsumerConfig } from './consumer.config';
import { KAFKA } from './kafka.token';
import { MatchesModule } from './matches/matches.module';

@Module({})
export class AppModule {
  static forRoot(config: ConsumerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, applicationName: 'passerelle-job-match-consumer', poolSize: 10 }),
        RegistryModule.forRoot(config.PASSERELLE_REGISTRY),
        MatchesModule,
      ],
      providers: [
        { provide: CONSUMER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KAFKA, useValue: createKafka(config.KAFKA_BROKERS, 'passerelle-job-match-consumer', logger) },
        { provide: Registry, useFactory: () => createMetricsRegistry('job-match-consumer') },
        DependencyHealthService,
      ],
      exports: [CONSUMER_CONFIG, LOGGER, KAFKA, Registry],
    };
  }
}
