import { status as GrpcStatus } from '@grpc/grpc-js';
import { type Observable, firstValueFrom, timeout } from 'rxjs';
import { BadUserInput, Conflict, DomainError, Forbidden, NotFound, Unavailable } from '../errors';
import { consentAuditChannel as channelTo } from '../consent-audit-channel';

/** Injection token of this feature's gRPC channel to consent-audit. */
export const CONSENT_AUDIT_CHANNEL = Symbol('CONSENTS_CONSENT_AUDIT_CHANNEL');

/** How long the gateway waits for consent-audit before answering UNAVAILABLE. */
export const CONSENT_AUDIT_DEADLINE_MS = 10_000;

export const consentAuditChannel = channelTo(CONSENT_AUDIT_CHANNEL);

interface GrpcError {
  code?: number;
  details?: string;
}

/** consent-audit's gRPC statuses as the gateway's typed errors (messages carry no identifier by contract). */
export function toDomainError(e: unknown): Error {
  if (e instanceof DomainError) return e;
  const err = e as GrpcError;
  const details = err?.details ?? (e instanceof Error ? e.message : 'consent-audit failed');
  switch (err?.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return new BadUserInput(details);
    case GrpcStatus.NOT_FOUND:
      return new NotFound(details);
    case GrpcStatus.PERMISSION_DENIED:
      return new Forbidden(...withRefusalCode(details));
    case GrpcStatus.FAILED_PRECONDITION:
      return new Conflict(...withRefusalCode(details));
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new Unavailable('the consent service is unavailable; try again');
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * consent-audit's consent refusals read "<code>: <explanation>" (e.g. self_granted_consent): the
 * agency gets the explanation, and the code as `extensions.reason`.
 */
export function withRefusalCode(details: string): [string, Record<string, unknown>] {
  const m = /^([a-z][a-z_]{2,63}): (.+)$/s.exec(details);
  return m ? [m[2], { reason: m[1] }] : [details, {}];
}

/** Awaits one unary gRPC answer with a deadline, mapping failures to typed errors. */
export async function call<T>(observable: Observable<T>): Promise<T> {
  try {
    return await firstValueFrom(observable.pipe(timeout(CONSENT_AUDIT_DEADLINE_MS)));
  } catch (e) {
    if ((e as Error)?.name === 'TimeoutError') throw new Unavailable('the consent service did not answer in time; try again');
    throw toDomainError(e);
  }
}
