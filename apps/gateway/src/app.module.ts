import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { LOGGER, type Logger } from '@passerelle/logger';
import { PersistenceModule } from '@passerelle/persistence';
import { RegistryModule } from '@passerelle/registry/registry.module';
import { createKafka } from '@passerelle/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { KAFKA } from './kafka.token';
import { GatewayInfoResolver } from './gateway-info.resolver';
import { ExchangeModule } from './exchange/exchange.module';
import { ConsentsModule } from './consents/consents.module';
import { ClaimantsModule } from './claimants/claimants.module';
import { ProgramsModule } from './programs/programs.module';
import { StatisticsModule } from './statistics/statistics.module';
import { graphqlHardening } from './graphql/graphql-hardening';
import { recordRootMutationFields } from './graphql/root-field-outcomes';
import { ConsoleModule } from './console/console.module';
import { AuditModule } from './audit/audit.module';
import { MatchesModule } from './matches/matches.module';
import { RelocationModule } from './relocation/relocation.module';
import { RequiresGuard } from './auth/requires.guard';
import { DomainErrorFilter } from './errors';
import { JwksController } from './jwks/jwks.controller';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, applicationName: 'passerelle-gateway', poolSize: 20 }),
        RegistryModule.forRoot(config.PASSERELLE_REGISTRY),
        GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: false,
          jit: 1,
          path: '/graphql',
          ...graphqlHardening(config.NODE_ENV, logger),
          // Write-ahead audit: every root mutation field gets its own outcome record (root-field-outcomes.ts).
          transformSchema: recordRootMutationFields,
          context: (request: unknown, reply: unknown) => ({ req: request, reply }),
        }),
        ExchangeModule,
        HealthModule,
        MetricsModule,
        ConsentsModule,
        ClaimantsModule,
        ProgramsModule,
        StatisticsModule,
        ConsoleModule,
        AuditModule,
        MatchesModule,
        RelocationModule,
      ],
      controllers: [JwksController],
      providers: [
        // The one authorisation guard and the one domain-error filter, for every route and resolver.
        { provide: APP_GUARD, useClass: RequiresGuard },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KAFKA, useValue: createKafka(config.KAFKA_BROKERS, 'passerelle-gateway', logger) },
        GatewayInfoResolver,
      ],
      exports: [GATEWAY_CONFIG, LOGGER, KAFKA],
    };
  }
}
