/**
 * Sentinel errors of `addCheckpoint`: one class per refusal that c2sp.org/tlog-witness names,
 * each carrying the HTTP status the spec assigns to it, so the HTTP layer maps them mechanically.
 *
 * | error                   | status | when                                                           |
 * |-------------------------|--------|----------------------------------------------------------------|
 * | MalformedRequestError   | 400    | the body is not `old N` + ≤63 proof lines + blank line + note  |
 * | NoValidSignatureError   | 403    | no verified signature of a trusted log key, or one that fails  |
 * | UnknownLogError         | 404    | the origin line names a log this witness does not follow       |
 * | OldSizeInvalidError     | 400    | old size > checkpoint size                                     |
 * | CheckpointStaleError    | 409    | old size ≠ latest cosigned size; `latestSize` is the answer    |
 * | EmptyTreeRootError      | 422    | size 0 with a root other than SHA-256("")                      |
 * | InvalidProofError       | 422    | the consistency proof does not verify (or is not empty at 0)   |
 * | RootMismatchError       | 422    | same size as the latest cosigned checkpoint, different root    |
 *
 * A refusal that proves or suggests a split view also leaves an `Evidence` record in the store
 * (see evidence.ts); the error says so in `evidence`.
 */
export abstract class WitnessError extends Error {
  abstract readonly status: 400 | 403 | 404 | 409 | 422;
  abstract readonly code: string;
  /** the kind of evidence this refusal stored, if any */
  evidence?: 'same-size-different-root' | 'bad-consistency-proof';
}

export class MalformedRequestError extends WitnessError {
  readonly status = 400;
  readonly code = 'malformed-request';
}

export class NoValidSignatureError extends WitnessError {
  readonly status = 403;
  readonly code = 'no-valid-signature';
}

export class UnknownLogError extends WitnessError {
  readonly status = 404;
  readonly code = 'unknown-log';
}

export class OldSizeInvalidError extends WitnessError {
  readonly status = 400;
  readonly code = 'old-size-invalid';
}

export class CheckpointStaleError extends WitnessError {
  readonly status = 409;
  readonly code = 'checkpoint-stale';
  constructor(
    readonly latestSize: number,
    message: string,
  ) {
    super(message);
  }
}

export class EmptyTreeRootError extends WitnessError {
  readonly status = 422;
  readonly code = 'empty-tree-root';
}

export class InvalidProofError extends WitnessError {
  readonly status = 422;
  readonly code = 'invalid-proof';
}

export class RootMismatchError extends WitnessError {
  readonly status = 422;
  readonly code = 'root-mismatch';
}
