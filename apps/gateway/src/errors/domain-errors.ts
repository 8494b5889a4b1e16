/**
 * Typed refusals thrown by services; one filter maps them to the contract's GraphQL
 * `extensions.code`. Messages must never contain a raw identifier.
 */
import type { GraphqlErrorCode } from './error-codes';
export type { GraphqlErrorCode };

export abstract class DomainError extends Error {
  abstract readonly code: GraphqlErrorCode;
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
  }
}

export class Forbidden extends DomainError { readonly code = 'FORBIDDEN'; }
export class NoAgreement extends DomainError { readonly code = 'NO_AGREEMENT'; }
export class ConsentRequired extends DomainError { readonly code = 'CONSENT_REQUIRED'; }
export class BadUserInput extends DomainError { readonly code = 'BAD_USER_INPUT'; }
export class NotFound extends DomainError { readonly code = 'NOT_FOUND'; }
export class QueryTooComplex extends DomainError { readonly code = 'QUERY_TOO_COMPLEX'; }
export class Conflict extends DomainError { readonly code = 'CONFLICT'; }
export class RateLimited extends DomainError { readonly code = 'RATE_LIMITED'; }
export class Unavailable extends DomainError { readonly code = 'UNAVAILABLE'; }
/** A page cursor that was not minted by this gateway for this agency, purpose, filter and ordering, or was altered. */
export class InvalidCursor extends DomainError { readonly code = 'INVALID_CURSOR'; }
