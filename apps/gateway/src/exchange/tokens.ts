/** Injection tokens of the exchange module (exported for every gateway feature). */

/** `GatewayKeys` from @passerelle/crypto, loaded once at start. */
export const GATEWAY_KEYS = Symbol('GATEWAY_KEYS');

/** The `AuditSink` the exchange recorder appends ledger entries through. */
export const AUDIT_SINK = Symbol('AUDIT_SINK');

/** The key of the ledger's keyed request digest (request-digest.ts), loaded once at start. */
export const REQUEST_DIGEST_KEY = Symbol('REQUEST_DIGEST_KEY');
