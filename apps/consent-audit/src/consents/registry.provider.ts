import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder } from '@passerelle/registry';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';

/** The registry in force (PASSERELLE_REGISTRY); an invalid file stops the process at start. */
export const registryHolderProvider: Provider = {
  provide: RegistryHolder,
  inject: [CONSENT_AUDIT_CONFIG, LOGGER],
  useFactory: (config: ConsentAuditConfig, logger: Logger) => RegistryHolder.load(config.PASSERELLE_REGISTRY, logger),
};

/** Re-reads the registry on SIGHUP; requests in flight keep the registry they started with. */
@Injectable()
export class RegistryReloadOnHangup implements OnModuleInit, OnApplicationShutdown {
  private readonly onHangup = () => {
    this.logger.info({ file: this.holder.file }, 'SIGHUP: reloading the registry');
    void this.holder.reload();
  };

  constructor(
    private readonly holder: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    process.on('SIGHUP', this.onHangup);
  }

  onApplicationShutdown() {
    process.off('SIGHUP', this.onHangup);
  }
}
