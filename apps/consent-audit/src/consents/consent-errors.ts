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

