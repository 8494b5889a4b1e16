import { EMPTY_TREE_ROOT, NoteFormatError, openCheckpoint, originOf, parseNote, type Checkpoint, type Cosigner, type NoteVerifier } from '@passerelle/checkpoint';
import { verifyConsistency } from '@passerelle/merkle';
import {
  CheckpointStaleError,
  EmptyTreeRootError,
  InvalidProofError,
  MalformedRequestError,
  NoValidSignatureError,
  OldSizeInvalidError,
  RootMismatchError,
  UnknownLogError,
  type WitnessError,
} from './errors';
import { keepEvidence, type Evidence } from './evidence';
import { parseAddCheckpointRequest, type AddCheckpointRequest } from './request';
import type { CosignedCheckpoint, LogRecord, WitnessStore } from './store';

/** A witness: its key, the logs it follows (origin → trusted log keys) and its state. */
export interface WitnessState {
  store: WitnessStore;
  logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  cosigner: Cosigner;
  /** POSIX seconds */
  now?: () => number;
}

export interface Cosigned {
  checkpoint: Checkpoint;
  /** the response body of add-checkpoint: the witness's cosignature line(s), each ending in \n */
  cosignatures: string;
  /** the checkpoint as now stored: log signature(s) + this witness's cosignature */
  note: string;
}

/** The outcome of the pure checks: cosign, or refuse (keeping evidence when there is some). */
export type Verdict = { accept: true } | { accept: false; error: WitnessError; evidence?: Evidence['kind'] };

/**
 * The rules of c2sp.org/tlog-witness add-checkpoint that compare a verified checkpoint with the
 * latest one this witness cosigned (signature and origin rules come before, in addCheckpoint).
 */
export function decide(latest: CosignedCheckpoint | undefined, req: Pick<AddCheckpointRequest, 'oldSize' | 'proof'>, cp: Checkpoint): Verdict {
  const latestSize = latest?.size ?? 0;
  const latestRoot = latest ? Buffer.from(latest.rootHash, 'base64') : EMPTY_TREE_ROOT;
  // Two log-signed checkpoints of one size with two roots: a split view, whatever else is wrong.
  const fork = latest !== undefined && cp.size === latest.size && !cp.rootHash.equals(latestRoot);
  const forkEvidence = fork ? ('same-size-different-root' as const) : undefined;

  // SPEC: The old size MUST be equal to or lower than the checkpoint size. Otherwise, the witness MUST respond with a "400 Bad Request".
  if (req.oldSize > cp.size) return { accept: false, error: new OldSizeInvalidError(`old size ${req.oldSize} is above the checkpoint size ${cp.size}`), evidence: forkEvidence };
  // SPEC: The witness MUST check that the old size matches the size of the latest checkpoint it cosigned for the checkpoint's origin
  // (or zero if it never cosigned a checkpoint for that origin). If it doesn't match, the witness MUST respond with a "409 Conflict".
  if (req.oldSize !== latestSize) return { accept: false, error: new CheckpointStaleError(latestSize, `old size ${req.oldSize} is not the latest cosigned size ${latestSize}`), evidence: forkEvidence };
  // SPEC: A checkpoint of size zero MUST have the root hash of the empty tree. Otherwise, the witness MUST respond with a "422 Unprocessable Entity".
  if (cp.size === 0 && !cp.rootHash.equals(EMPTY_TREE_ROOT)) return { accept: false, error: new EmptyTreeRootError('a checkpoint of size 0 must carry the root of the empty tree, SHA-256("")') };
  if (req.oldSize === 0) {
    // SPEC: If the old size is zero, the consistency proof MUST be empty; if the proof is not empty the witness MUST respond with a "422".
    if (req.proof.length > 0) return { accept: false, error: new InvalidProofError(`from old size 0 the consistency proof must be empty, got ${req.proof.length} lines`) };
    return { accept: true };
  }
  // SPEC: If the old size matches the checkpoint size, the witness MUST check that the root hashes are also identical. If they don't match, "422".
  if (req.oldSize === cp.size && fork) return { accept: false, error: new RootMismatchError(`a different root for size ${cp.size} than the one this witness cosigned`), evidence: forkEvidence };
  // SPEC: The consistency proof lines MUST encode a Merkle Consistency Proof from the old size to the checkpoint size (RFC 6962 §2.1.2);
  // if it doesn't verify, the witness MUST respond with a "422 Unprocessable Entity".
  if (!verifyConsistency(req.oldSize, cp.size, latestRoot, cp.rootHash, req.proof)) {
    return { accept: false, error: new InvalidProofError(`the consistency proof from size ${req.oldSize} to ${cp.size} does not verify`), evidence: 'bad-consistency-proof' };
  }
  return { accept: true };
}

/**
 * C2SP tlog-witness add-checkpoint: verifies the log's signature, checks the request against the
 * latest cosigned checkpoint, and (atomically with that check) records the new checkpoint and
 * returns the cosignature. Throws a WitnessError (errors.ts) on every refusal.
 */
export async function addCheckpoint(witness: WitnessState, request: string | AddCheckpointRequest): Promise<Cosigned> {
  const req = typeof request === 'string' ? parseAddCheckpointRequest(request) : request;
  let origin: string;
  try {
    origin = originOf(req.checkpoint);
  } catch (e) {
    throw new MalformedRequestError((e as Error).message);
  }
  const keys = witness.logs.get(origin);
  // SPEC: If the checkpoint origin is unknown, the witness MUST respond with a "404 Not Found".
  if (!keys) throw new UnknownLogError('this witness does not follow the log named by the checkpoint origin');
  let cp: Checkpoint;
  let logLines: string[];
  try {
    // SPEC: The witness MUST verify the checkpoint signature against the public key(s) it trusts for the checkpoint origin, and it MUST
    // ignore signatures from unknown keys; "403 Forbidden" if no trusted signature is present or a trusted key's signature fails to verify.
    const opened = openCheckpoint(req.checkpoint, origin, keys);
    cp = opened.checkpoint;
    logLines = opened.note.verified.map((s) => s.line);
  } catch (e) {
    if (!(e instanceof NoteFormatError)) throw e;
    if (e.code === 'bad-checkpoint') throw new MalformedRequestError(`the signed note is not a checkpoint: ${e.message}`);
    throw new NoValidSignatureError(e.message);
  }
  const now = witness.now ?? (() => Math.floor(Date.now() / 1000));

  // SPEC: checking the old size against the latest checkpoint and persisting the new checkpoint must be performed atomically.
  type Outcome = { accept: false; error: WitnessError } | { accept: true; line: string; note: string };
  const outcome = await witness.store.update<Outcome>(origin, (current) => {
    const record: LogRecord = current ?? { origin, evidence: [] };
    const verdict = decide(record.latest, req, cp);
    const observedAt = now();
    if (!verdict.accept) {
      // SPEC: If the origin is known and the signature is valid, the witness MAY log the request even if it fails a consistency check
      // (but MUST NOT cosign it), as it might be proof of log misbehaviour.
      if (!verdict.evidence || !record.latest) return { result: verdict };
      const evidence: Evidence = {
        kind: verdict.evidence,
        origin,
        cosignedNote: record.latest.note,
        presentedNote: req.checkpoint,
        oldSize: req.oldSize,
        proof: req.proof.map((h) => Buffer.from(h).toString('base64')),
        observedAt,
      };
      verdict.error.evidence = verdict.evidence;
      return { next: { ...record, evidence: keepEvidence(record.evidence, evidence) }, result: verdict };
    }
    const text = parseNote(req.checkpoint).text;
    // A cosignature says "as of time t this is the largest tree I saw": never let t go backwards with the clock.
    const t = Math.max(observedAt, record.latest?.cosignedAt ?? 0);
    // SPEC: The cosignature MUST NOT omit the timestamp, i.e. the timestamp MUST NOT be zero.
    if (!(t > 0)) throw new Error('the witness clock reads 0; refusing to cosign without a timestamp');
    const line = witness.cosigner.cosign(text, t);
    const note = `${text}\n${[...logLines, line].join('\n')}\n`;
    // SPEC: If all the checks pass, the witness MUST update its record of the latest cosigned checkpoint (and persist it before responding).
    const latest: CosignedCheckpoint = { size: cp.size, rootHash: cp.rootHash.toString('base64'), note, cosignedAt: t };
    return { next: { ...record, latest }, result: { accept: true, line, note } };
  });
  if (!outcome.accept) throw outcome.error;
  // SPEC: The response body MUST be a sequence of one or more note signature lines, each starting with "—" and ending with a newline.
  return { checkpoint: cp, cosignatures: `${outcome.line}\n`, note: outcome.note };
}

/** The latest checkpoint this witness cosigned for a log (with the log's and its own signatures). */
export async function latestCheckpoint(witness: Pick<WitnessState, 'store'>, origin: string): Promise<CosignedCheckpoint | undefined> {
  return (await witness.store.get(origin))?.latest;
}

/** All evidence the witness kept, for one log or every log. */
export async function listEvidence(store: WitnessStore, origin?: string): Promise<Evidence[]> {
  const origins = origin ? [origin] : await store.origins();
  const out: Evidence[] = [];
  for (const o of origins) out.push(...((await store.get(o))?.evidence ?? []));
  return out;
}
