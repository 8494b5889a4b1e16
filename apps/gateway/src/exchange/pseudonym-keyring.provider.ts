import type { Provider } from '@nestjs/common';
import { loadPseudonymKeyring } from '@passerelle/crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * `PseudonymKeyring` (@passerelle/crypto) loaded once at start from PASSERELLE_SECRETS_DIR
 * (created, 0600, on first start). Every feature that turns client ids or agency pseudonyms
 * into internal ids injects this token; the global ExchangeModule provides it.
 */
export const PSEUDONYM_KEYRING = Symbol('PSEUDONYM_KEYRING');

export const pseudonymKeyringProvider: Provider = {
  provide: PSEUDONYM_KEYRING,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: GatewayConfig) => loadPseudonymKeyring(config.PASSERELLE_SECRETS_DIR),
};
