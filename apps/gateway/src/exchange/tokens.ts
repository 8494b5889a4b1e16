/** Injection tokens of the exchange module (exported for every gateway feature). */

/** `GatewayKeys` from @passerelle/crypto, loaded once at start. */
export const GATEWAY_KEYS = Symbol('GATEWAY_KEYS');

/** The `AuditSink` the exchange recorder appends ledger entries through. */
export const AUDIT_SINK = Symbol('AUDIT_SINK');
