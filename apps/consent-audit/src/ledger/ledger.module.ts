import { Module } from '@nestjs/common';
import { ConsentsModule } from '../consents/consents.module';
import { LedgerController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/** gRPC Ledger: the verifiable audit ledger (CONTRACT.md §5). */
@Module({
  imports: [ConsentsModule],
  controllers: [LedgerController],
  providers: [
    LedgerRepository,
    LedgerService,
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
