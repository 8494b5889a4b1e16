import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { loadGatewayKeys } from '@passerelle/crypto';
import { RequiresGuard } from '../auth/requires.guard';
import { consentAuditChannel } from '../consent-audit-channel';
import { DomainErrorFilter } from '../errors';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { JwksController } from '../jwks/jwks.controller';
import { GrpcAuditSink, LEDGER_GRPC_CLIENT } from './audit-sink';
import { ExchangeHooks } from './exchange.hooks';
import { ReplayStore } from './replay-store';
import { AUDIT_SINK, GATEWAY_KEYS } from './tokens';
import { PSEUDONYM_KEYRING, pseudonymKeyringProvider } from './pseudonym-keyring.provider';
import { BENCH_TRUST_OFF, benchTrustOffProvider } from './bench-trust-off';
import { LOGGER } from '@passerelle/logger';

/**
 * The signed exchange (CONTRACT.md §2–3): registry, gateway keys, request-signature check,
 * replay store, ledger recording, response signature, the one authorisation guard and the JWKS.
 * Global: every feature module can inject GATEWAY_KEYS and AUDIT_SINK (and RegistryHolder, from
 * RegistryModule).
 */
@Global()
@Module({
  imports: [consentAuditChannel(LEDGER_GRPC_CLIENT)],
  controllers: [JwksController],
  providers: [
    {
      provide: GATEWAY_KEYS,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => loadGatewayKeys(config.PASSERELLE_SECRETS_DIR),
    },
    // Bench-only trust-off switch (bench-trust-off.ts): false unless explicitly enabled and acknowledged.
    { provide: BENCH_TRUST_OFF, inject: [LOGGER], useFactory: benchTrustOffProvider },
    pseudonymKeyringProvider,
    GrpcAuditSink,
    { provide: AUDIT_SINK, useExisting: GrpcAuditSink },
    ReplayStore,
    ExchangeHooks,
    { provide: APP_GUARD, useClass: RequiresGuard },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
  exports: [GATEWAY_KEYS, PSEUDONYM_KEYRING, AUDIT_SINK, BENCH_TRUST_OFF],
})
export class ExchangeModule {}
