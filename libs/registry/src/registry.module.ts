import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder } from './holder';

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

/**
 * The registry in force for an app (PASSERELLE_REGISTRY), loaded at start — an invalid file stops
 * the process naming every problem — and reloaded on SIGHUP. Needs the app's LOGGER provider.
 */
@Global()
@Module({})
export class RegistryModule {
  static forRoot(file: string): DynamicModule {
    return {
      module: RegistryModule,
      providers: [
        { provide: RegistryHolder, inject: [LOGGER], useFactory: (logger: Logger) => RegistryHolder.load(file, logger) },
        RegistrySighupReloader,
      ],
      exports: [RegistryHolder],
    };
  }
}
