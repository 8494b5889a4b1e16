import { status } from '@grpc/grpc-js';

/**
 * Typed refusals of the consents and decisions services. Messages name the bad input, never a
 * raw identifier (subjects here are gateway-internal pseudonyms anyway, and are not echoed).
 */
export abstract class ConsentError extends Error {
  abstract readonly grpcCode: status;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidConsentInput extends ConsentError {
  readonly grpcCode = status.INVALID_ARGUMENT;
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export class ConsentNotFound extends ConsentError {
  readonly grpcCode = status.NOT_FOUND;
  constructor(consentId: string) {
    super(`no consent ${consentId}`);
  }
}

export class ConsentPermissionDenied extends ConsentError {
  readonly grpcCode = status.PERMISSION_DENIED;
}

/**
 * Why consent-audit refuses to record a consent or to show disclosures, as a contract-style code.
 * The gRPC message starts with `<code>: ` so the gateway can name it to the agency.
 */
export const CONSENT_REFUSAL_CODES = [
  'self_granted_consent',
  'collector_not_declared',
  'regrant_not_by_collector',
  'regrant_evidence_reused',
  'not_a_collector_of_claimant',
] as const;
export type ConsentRefusalCode = (typeof CONSENT_REFUSAL_CODES)[number];

/** A refusal by the consent rules of the registry (who collects what, for whom). */
export class ConsentRefused extends ConsentError {
  readonly grpcCode: status;
  constructor(
    readonly code: ConsentRefusalCode,
    explanation: string,
  ) {
    super(`${code}: ${explanation}`);
    // Reusing revoked evidence is a conflict with the consent's history; the others are about who acts.
    this.grpcCode = code === 'regrant_evidence_reused' ? status.FAILED_PRECONDITION : status.PERMISSION_DENIED;
  }
}
