import { status } from '@grpc/grpc-js';

/** Refusals of the ledger service, each with the gRPC status the controller answers with. */
export abstract class LedgerError extends Error {
  abstract readonly grpcCode: status;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgument extends LedgerError {
  readonly grpcCode = status.INVALID_ARGUMENT;
}
export class OutOfRange extends LedgerError {
  readonly grpcCode = status.OUT_OF_RANGE;
}
export class NotFound extends LedgerError {
  readonly grpcCode = status.NOT_FOUND;
}
/** The ledger cannot take appends now (not the writer instance, or the database failed). */
export class LedgerUnavailable extends LedgerError {
  readonly grpcCode = status.UNAVAILABLE;
}
/** A seq that is sequenced (durable, promised) but not in the tree within the maximum merge delay. */
export class NotIntegrated extends LedgerError {
  readonly grpcCode = status.FAILED_PRECONDITION;
}
