/**
 * The gateway's signing keys (`loadGatewayKeys` from @passerelle/crypto), loaded once at start:
 * consent-audit signs consent receipts with the key the gateway publishes. Tree heads are NOT
 * signed with it: the log has its own key (ledger/log-key.ts), which the gateway never holds.
 */
export const GATEWAY_KEYS = Symbol('GATEWAY_KEYS');
