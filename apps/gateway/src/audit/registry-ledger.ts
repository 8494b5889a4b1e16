import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { registryEntryInput } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { recordRegistryInLedger, RegistryHolder } from '@passerelle/registry';
import type { AuditSink } from '../exchange/audit-sink';
import { AUDIT_SINK } from '../exchange/tokens';

/**
 * The gateway's registry loads and reloads (SIGHUP) are ledger entries carrying the registry's
 * version (docs/contract.md §5.2), like consent-audit's: an auditor proves which rules the gateway
 * applied from when, not only which ones consent-audit decided under.
 */
@Injectable()
export class RegistryLedgerRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private stop?: () => void;

  constructor(
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Awaits the first try only: a ledger that does not answer delays start by one append timeout, then recording goes on in the background. */
  async onApplicationBootstrap() {
    const recording = recordRegistryInLedger(this.registry, (operation, version) => this.audit.append(registryEntryInput(operation, version, 'gateway')), this.logger);
    this.stop = recording.stop;
    await recording.first;
  }

  onApplicationShutdown() {
    this.stop?.();
  }
}
