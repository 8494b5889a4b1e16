import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { registryEntryInput } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { recordRegistryInLedger, RegistryHolder } from '@passerelle/registry';
import { ConsentAuditClient } from './consent-audit.client';

/**
 * The consumer's registry loads and reloads (SIGHUP) are ledger entries carrying the registry's
 * version (docs/contract.md §5.2): the publishers and keys it checks events against are the ones
 * of a registry the ledger names.
 */
@Injectable()
export class RegistryLedgerRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private stop?: () => void;

  constructor(
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    private readonly consentAudit: ConsentAuditClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Awaits the first try only: a ledger that does not answer delays start by one append timeout, then recording goes on in the background. */
  async onApplicationBootstrap() {
    const recording = recordRegistryInLedger(this.registry, (operation, version) => this.consentAudit.append(registryEntryInput(operation, version, 'job-match-consumer')), this.logger);
    this.stop = recording.stop;
    await recording.first;
  }

  onApplicationShutdown() {
    this.stop?.();
  }
}
