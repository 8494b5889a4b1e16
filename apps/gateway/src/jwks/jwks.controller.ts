import { Controller, Get, Header, Inject } from '@nestjs/common';
import { PublishedGatewayKeys, type GatewayKeys } from '@passerelle/crypto';
import { Public } from '../auth/requires.decorator';
import { GATEWAY_KEYS } from '../exchange/tokens';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { LogPublicKeys } from './log-public-keys';

/**
 * The public keys verifiers need: the gateway's (responses and consent receipts) and the audit
 * log's (tree heads, marked `signs: "tree-head+jwt"`), which consent-audit publishes and the
 * gateway only relays; the gateway never holds the log's private key. The gateway's keys are
 * re-read from the secrets directory, so `passerelle keys rotate-gateway` publishes the new key
 * and `retire-gateway` withdraws an old one without a restart; the key this process signs with is
 * always published.
 */
@Controller('.well-known')
export class JwksController {
  private readonly logKeys: LogPublicKeys;
  private readonly gatewayKeys: PublishedGatewayKeys;

  constructor(@Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys, @Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.logKeys = new LogPublicKeys(config.PASSERELLE_SECRETS_DIR);
    this.gatewayKeys = new PublishedGatewayKeys(config.PASSERELLE_SECRETS_DIR);
  }

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('Content-Type', 'application/jwk-set+json')
  async jwks() {
    return { keys: [...(await this.gatewayJwks()), ...(await this.logKeys.read())] };
  }

  private async gatewayJwks() {
    let onDisk;
    try {
      onDisk = await this.gatewayKeys.read();
    } catch {
      return this.keys.jwks.keys;
    }
    const active = this.keys.active.publicJwk;
    return [active, ...onDisk.filter((k) => k.kid !== active.kid)];
  }
}
