import { Inject, Injectable, type FactoryProvider, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder } from '@passerelle/registry';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/** The registry in force, loaded at start (an invalid file stops the gateway, naming every problem). */
export const registryHolderProvider: FactoryProvider<Promise<RegistryHolder>> = {
  provide: RegistryHolder,
  inject: [GATEWAY_CONFIG, LOGGER],
  useFactory: (config: GatewayConfig, logger: Logger) => RegistryHolder.load(config.PASSERELLE_REGISTRY, logger),
};

/**
 * Reloads the registry on SIGHUP. The swap is atomic and requests in flight keep the registry
 * they were checked against, so nothing is dropped; an invalid file keeps the old registry.
 */
@Injectable()
export class RegistrySighupReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly onSighup = () => {
    this.logger.info({ file: this.holder.file }, 'SIGHUP: reloading the registry');
    void this.holder.reload();
  };

  constructor(
    @Inject(RegistryHolder) private readonly holder: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    process.on('SIGHUP', this.onSighup);
  }

  onApplicationShutdown() {
    process.off('SIGHUP', this.onSighup);
  }
}
