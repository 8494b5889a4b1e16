import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { GatewayKeys } from '@passerelle/crypto';
import { Public } from '../auth/requires.decorator';
import { GATEWAY_KEYS } from '../exchange/tokens';

/** The gateway's public keys: anyone verifies response signatures, tree heads and receipts with them. */
@Controller('.well-known')
export class JwksController {
  constructor(@Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('Content-Type', 'application/jwk-set+json')
  jwks() {
    return this.keys.jwks;
  }
}
