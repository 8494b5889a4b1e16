import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditResolver } from './audit.resolver';
import { AuditService } from './audit.service';
import { LedgerClient, ledgerChannel } from './ledger.client';
import { PipelineMetricsClient } from './pipeline-metrics';
import { RegistryLedgerRecorder } from './registry-ledger';

/** Operator access to the audit ledger: /audit/* REST for verifiers (aggregates and the pipeline's figures included), and GraphQL. Exports LedgerClient. */
@Module({
  imports: [ledgerChannel],
  controllers: [AuditController],
  providers: [LedgerClient, AuditService, AuditResolver, PipelineMetricsClient, RegistryLedgerRecorder],
  exports: [LedgerClient],
})
export class AuditModule {}
