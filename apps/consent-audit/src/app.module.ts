import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LOGGER, type Logger } from '@passerelle/logger';
import { PersistenceModule } from '@passerelle/persistence';
import { loadGatewayKeys } from '@passerelle/crypto';
import { GATEWAY_KEYS } from './gateway-keys.token';
import { RegistryModule } from '@passerelle/registry/registry.module';
import { createKafka } from '@passerelle/messaging';
import { Registry } from 'prom-client';
import { createMetricsRegistry, DependencyHealthService } from '@passerelle/observability';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from './consent-audit.config';
import { KAFKA } from './kafka.token';
import { ConsentsModule } from './consents/consents.module';
import { DecisionsModule } from './decisions/decisions.module';
import { LedgerModule } from './ledger/ledger.module';
import { GrpcCallerGuard } from './grpc-auth/grpc-caller.guard';

@Module({})
export class AppModule {
  static forRoot(config: ConsentAuditConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, applicationName: 'passerelle-consent-audit', poolSize: 20 }),
        RegistryModule.forRoot(config.PASSERELLE_REGISTRY),
        ConsentsModule, DecisionsModule, LedgerModule],
      providers: [
        { provide: CONSENT_AUDIT_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KAFKA, useValue: createKafka(config.KAFKA_BROKERS, 'passerelle-consent-audit', logger) },
        { provide: Registry, useFactory: () => createMetricsRegistry('consent-audit') },
        DependencyHealthService,
        // Who may call which RPC: one table, one guard (grpc-auth/).
        { provide: APP_GUARD, useClass: GrpcCallerGuard },
        { provide: GATEWAY_KEYS, useFactory: () => loadGatewayKeys(config.PASSERELLE_SECRETS_DIR) },
      ],
      exports: [GATEWAY_KEYS, CONSENT_AUDIT_CONFIG, LOGGER, KAFKA, Registry],
    };
  }
}
