import { Module } from '@nestjs/common';
import { loadGatewayKeys } from '@passerelle/crypto';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';
import { LedgerController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LEDGER_KEYS, LedgerService } from './ledger.service';

/** gRPC Ledger: the verifiable audit ledger (CONTRACT.md §5). */
@Module({
  controllers: [LedgerController],
  providers: [
    LedgerRepository,
    LedgerService,
    {
      provide: LEDGER_KEYS,
      inject: [CONSENT_AUDIT_CONFIG],
      useFactory: (config: ConsentAuditConfig) => loadGatewayKeys(config.PASSERELLE_SECRETS_DIR),
    },
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
