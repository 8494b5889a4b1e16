import { Global, Module } from '@nestjs/common';
import { loadGatewayKeys } from '@passerelle/crypto';
import { consentAuditChannel } from '../consent-audit-channel';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { LEDGER_GRPC_CLIENT } from './audit-sink';
import { SequencingAuditSink } from './sequencing-sink';
import { ExchangeHooks } from './exchange.hooks';
import { ExchangeRecorder } from './exchange-recorder';
import { AGENCY_BUCKET_STORE } from './rate-limit';
import { PostgresBucketStore } from './rate-bucket-store';
import { ReplayStore } from './replay-store';
import { loadRequestDigestKey } from './request-digest';
import { RequestVerifier } from './request-verifier';
import { ResponseSigner } from './response-signer';
import { AUDIT_SINK, GATEWAY_KEYS, REQUEST_DIGEST_KEY } from './tokens';
import { PSEUDONYM_KEYRING, pseudonymKeyringProvider } from './pseudonym-keyring.provider';
import { UNVERIFIED_PER_MINUTE, UnverifiedFloods } from './unverified-floods';

/**
 * The signed exchange (docs/contract.md §2–3): gateway keys, request-signature check, replay store,
 * per-agency rate limits shared by the fleet (rate-bucket-store.ts), unverified-source limits, ledger recording (write-ahead for mutations) and response signature.
 * The authorisation guard, the error filter and the JWKS are the application's (app.module.ts).
 * Global: every feature module can inject GATEWAY_KEYS and AUDIT_SINK (and RegistryHolder, from
 * RegistryModule).
 */
@Global()
@Module({
  imports: [consentAuditChannel(LEDGER_GRPC_CLIENT)],
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
    // The gateway sequences its own entries in PostgreSQL (sequencing-sink.ts); GrpcAuditSink stays for tools.
    SequencingAuditSink,
    { provide: AUDIT_SINK, useExisting: SequencingAuditSink },
    ReplayStore,
    { provide: AGENCY_BUCKET_STORE, useClass: PostgresBucketStore },
    RequestVerifier,
    ExchangeRecorder,
    ResponseSigner,
    UnverifiedFloods,
    ExchangeHooks,
  ],
  exports: [GATEWAY_KEYS, PSEUDONYM_KEYRING, AUDIT_SINK],
})
export class ExchangeModule {}
