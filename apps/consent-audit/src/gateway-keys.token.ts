/**
 * The gateway's signing keys (`loadGatewayKeys` from @passerelle/crypto), loaded once at start:
 * consent-audit signs tree heads and consent receipts with the same key the gateway publishes.
 */
export const GATEWAY_KEYS = Symbol('GATEWAY_KEYS');
