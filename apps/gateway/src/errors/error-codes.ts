import type { SignatureErrorCode } from '../exchange/signature-claims';

/**
 * Every error code the gateway answers with, one const list per family, so that the code uses
 * them and docs/contract.md's error tables are generated from them (scripts/contract-reference.js).
 * The signature codes (HTTP 401) live beside their checks: SIGNATURE_ERROR_CODES in
 * exchange/signature-claims.ts. No imports at run time: the generator loads this file alone.
 */

/** GraphQL `extensions.code` values (contract §4). */
export const GRAPHQL_ERROR_CODES = [
  'FORBIDDEN',
  'NO_AGREEMENT',
  'CONSENT_REQUIRED',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'QUERY_TOO_COMPLEX',
  'CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INVALID_CURSOR',
] as const;
export type GraphqlErrorCode = (typeof GRAPHQL_ERROR_CODES)[number];

/** HTTP refusals of the signed exchange other than the signature checks (contract §3), with their status. */
export const EXCHANGE_ERROR_STATUS = {
  malformed_json: 400,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  audit_unavailable: 503,
} as const;
export type ExchangeErrorCode = keyof typeof EXCHANGE_ERROR_STATUS;
export const EXCHANGE_ERROR_CODES = Object.keys(EXCHANGE_ERROR_STATUS) as readonly ExchangeErrorCode[];

/** HTTP refusals of the audit REST routes (contract §5) and of the authorisation guard, with their status. */
export const ROUTE_ERROR_STATUS = {
  forbidden: 403,
  bad_request: 400,
  not_found: 404,
  ledger_unavailable: 503,
  ledger_error: 502,
  bad_window: 400,
  bad_by: 400,
  consumer_metrics_unavailable: 503,
  not_integrated: 503,
} as const;
export type RouteErrorCode = keyof typeof ROUTE_ERROR_STATUS;
export const ROUTE_ERROR_CODES = Object.keys(ROUTE_ERROR_STATUS) as readonly RouteErrorCode[];

/** Every HTTP status a signature refusal is answered with. */
export const SIGNATURE_ERROR_STATUS = 401;

/** A refusal of the exchange hooks: the code, and the one status that goes with it. */
export type ExchangeRefusalCode = SignatureErrorCode | ExchangeErrorCode;
export type HttpStatusOf<C extends ExchangeRefusalCode> = C extends SignatureErrorCode
  ? typeof SIGNATURE_ERROR_STATUS
  : C extends ExchangeErrorCode
    ? (typeof EXCHANGE_ERROR_STATUS)[C]
    : never;
