import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ClientsModule } from '@nestjs/microservices';
import { consentAuditGrpcOptions } from '@passerelle/contracts';
import { loadGatewayKeys } from '@passerelle/crypto';
import { RequiresGuard } from '../auth/requires.guard';
import { DomainErrorFilter } from '../errors';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { JwksController } from '../jwks/jwks.controller';
import { GrpcAuditSink, LEDGER_GRPC_CLIENT } from './audit-sink';
import { ExchangeHooks } from './exchange.hooks';
import { ExchangeRecorder } from './exchange-recorder';
import { ReplayStore } from './replay-store';
import { loadRequestDigestKey } from './request-digest';
import { RequestVerifier } from './request-verifier';
import { ResponseSigner } from './response-signer';
import { AUDIT_SINK, GATEWAY_KEYS, REQUEST_DIGEST_KEY } from './tokens';
import { PSEUDONYM_KEYRING, pseudonymKeyringProvider } from './pseudonym-keyring.provider';
import { UNVERIFIED_PER_MINUTE, UnverifiedFloods } from './unverified-floods';

/**
 * The signed exchange (CONTRACT.md §2–3): registry, gateway keys, request-signature check,
 * replay store, ledger recording, response signature, the one authorisation guard and the JWKS.
 * Global: every feature module can inject GATEWAY_KEYS and AUDIT_SINK (and RegistryHolder, from
 * RegistryModule).
 */
@Global()
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: LEDGER_GRPC_CLIENT,
        inject: [GATEWAY_CONFIG],
        useFactory: (config: GatewayConfig) => consentAuditGrpcOptions(config.CONSENT_AUDIT_URL),
      },
    ]),
  ],
  controllers: [JwksController],
  providers: [
    {
      provide: GATEWAY_KEYS,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => loadGatewayKeys(config.PASSERELLE_SECRETS_DIR),
    },
    {
      provide: REQUEST_DIGEST_KEY,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => loadRequestDigestKey(config.PASSERELLE_SECRETS_DIR),
    },
    { provide: UNVERIFIED_PER_MINUTE, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => config.GATEWAY_UNVERIFIED_PER_MINUTE },
    pseudonymKeyringProvider,
    GrpcAuditSink,
    { provide: AUDIT_SINK, useExisting: GrpcAuditSink },
    ReplayStore,
    RequestVerifier,
    ExchangeRecorder,
    ResponseSigner,
    UnverifiedFloods,
    ExchangeHooks,
    { provide: APP_GUARD, useClass: RequiresGuard },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
  exports: [GATEWAY_KEYS, PSEUDONYM_KEYRING, AUDIT_SINK],
})
export class ExchangeModule {}
