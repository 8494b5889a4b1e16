import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { loadPseudonymKeyring, type PseudonymKeyring } from '@passerelle/crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * The pseudonym keyring for this module, loaded once at start. Loaded in onModuleInit rather
 * than in a factory provider: other features load the same file from their factories, and two
 * concurrent first-start loads in one process collide on writeSecretFile's temp file name
 * (pid + millisecond). Init hooks run after every factory resolved, so the file exists by then.
 * (ClaimantsModule imports ConsentsModule, so its PSEUDONYM_KEYRING cannot be injected here.)
 */
@Injectable()
export class ConsentsKeyring implements OnModuleInit {
  private loaded: PseudonymKeyring | undefined;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  async onModuleInit() {
    this.loaded = await loadPseudonymKeyring(this.config.PASSERELLE_SECRETS_DIR);
  }

  get keyring(): PseudonymKeyring {
    if (!this.loaded) throw new Error('the pseudonym keyring is not loaded yet');
    return this.loaded;
  }
}
