import path from 'node:path';
import { Module } from '@nestjs/common';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';
import { LedgerAggregates } from './ledger-aggregates';
import { RegistryHolder } from '@passerelle/registry';
import { LOG_KEY, loadLogKey } from './log-key';
import { defaultOrigin, loadNoteKey, NOTE_KEY } from './note-key';
import { WitnessCollector } from './witness-collector';
import { ConsentsModule } from '../consents/consents.module';
import { LedgerController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/** gRPC Ledger: the verifiable audit ledger (docs/contract.md §5). */
@Module({
  imports: [ConsentsModule],
  controllers: [LedgerController],
  providers: [
    LedgerRepository,
    LedgerService,
    LedgerAggregates,
    WitnessCollector,
    {
      provide: NOTE_KEY,
      inject: [CONSENT_AUDIT_CONFIG, RegistryHolder],
      useFactory: (config: ConsentAuditConfig, registry: RegistryHolder) =>
        loadNoteKey(config.PASSERELLE_LOG_KEY_DIR ?? path.join(config.PASSERELLE_SECRETS_DIR, 'log-signing'), config.PASSERELLE_SECRETS_DIR, defaultOrigin(registry.current().gatewayId)),
    },
    {
      provide: LOG_KEY,
      inject: [CONSENT_AUDIT_CONFIG],
      useFactory: (config: ConsentAuditConfig) =>
        loadLogKey(config.PASSERELLE_LOG_KEY_DIR ?? path.join(config.PASSERELLE_SECRETS_DIR, 'log-signing'), config.PASSERELLE_SECRETS_DIR),
    },
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
