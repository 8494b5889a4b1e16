import type { Logger } from '@passerelle/logger';
import type { Purpose } from '@passerelle/registry';
import type { VerifiedCaller } from '../../apps/gateway/src/exchange/exchange-context';
import { decodeAgencySignature } from '../../apps/gateway/src/exchange/signature-claims';

/**
 * BENCH ONLY (issue 9, `bench/trust.js`): the trust layer turned OFF so the benchmark can show
 * what it costs. The trust-off gateway does NOT verify request signatures, does NOT check replay,
 * does NOT ask consent-audit for decisions (every field the agreements cover is treated as
 * permitted), does NOT write the ledger and does NOT sign responses.
 *
 * It is not in the production build (issue 14): the gateway's own code has no reference to it.
 * The bench builds its own gateway from the same modules with four providers replaced
 * (bench/trust-off/trust-off-gateway.ts). That gateway still refuses to start unless
 * PASSERELLE_BENCH_TRUST_OFF=1, NODE_ENV=production AND PASSERELLE_BENCH_ACK carries the exact
 * acknowledgement below, and it logs a loud warning.
 */
export const TRUST_OFF_ENV = 'PASSERELLE_BENCH_TRUST_OFF';
export const TRUST_OFF_ACK_ENV = 'PASSERELLE_BENCH_ACK';
export const TRUST_OFF_ACK = 'i-understand-this-disables-trust';

export class TrustOffRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustOffRefused';
  }
}

/**
 * Reads the switch. Unset (or empty) → false. Set to anything → true only with both guards,
 * otherwise throws TrustOffRefused naming the missing guard (the gateway then stops at start).
 */
export function benchTrustOff(env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = env[TRUST_OFF_ENV];
  if (flag === undefined || flag === '') return false;
  if (flag !== '1') throw new TrustOffRefused(`${TRUST_OFF_ENV} must be unset (or 1, for the trust benchmark only); found ${JSON.stringify(flag.slice(0, 16))}`);
  if (env.NODE_ENV !== 'production') {
    throw new TrustOffRefused(`${TRUST_OFF_ENV}=1 (benchmark only: disables signature, replay, consent, ledger and response signing) is refused unless NODE_ENV=production`);
  }
  if (env[TRUST_OFF_ACK_ENV] !== TRUST_OFF_ACK) {
    throw new TrustOffRefused(`${TRUST_OFF_ENV}=1 (benchmark only: disables signature, replay, consent, ledger and response signing) is refused unless ${TRUST_OFF_ACK_ENV}=${TRUST_OFF_ACK}`);
  }
  return true;
}

/** Reads the switch once at start and shouts; throws TrustOffRefused when it is not on and acknowledged. */
export function requireBenchTrustOff(logger: Logger): void {
  if (!benchTrustOff(process.env)) throw new TrustOffRefused(`the trust-off bench gateway starts only with ${TRUST_OFF_ENV}=1`);
  const banner = 'BENCH-ONLY TRUST-OFF MODE: requests are NOT verified, NOT replay-checked, NOT consent-checked, NOT audited and answers are NOT signed. Never run this in service.';
  logger.warn({ [TRUST_OFF_ENV]: '1' }, banner);
  process.stderr.write(`\n*** ${banner} ***\n\n`);
}

/**
 * Trust-off only: who the request says it is, read from X-Agency-Signature WITHOUT verifying it
 * (so the three benchmark servers get the very same pre-signed requests). Undefined when the
 * header does not even decode.
 */
export function unverifiedCaller(header: string | string[] | undefined): VerifiedCaller | undefined {
  const decoded = decodeAgencySignature(header);
  if (!decoded.ok) return undefined;
  const { claims, header: h } = decoded;
  return { agency: claims.iss, kid: h.kid, jti: claims.jti, purpose: claims.purpose as Purpose, exp: claims.exp };
}
