import { NoteFormatError, openCheckpoint, type NoteVerifier } from '@passerelle/checkpoint';

/**
 * What a witness keeps when a log shows it something it must refuse and that may reveal a split
 * view: the checkpoint it had cosigned and the one presented, both as the log signed them.
 *
 * - `same-size-different-root` is conclusive: two log-signed checkpoints of one size with two
 *   roots cannot both be honest, whoever checks them (see `verifyEvidence`). Only the log's key
 *   can make one, so keeping every such record cannot be abused to fill the witness's disk.
 * - `bad-consistency-proof` is a lead, not a proof: the proof came unsigned with the request (a
 *   replay with a garbage proof looks the same), so an auditor must ask the log for a real proof
 *   between the two notes. The witness keeps only the latest few of these per log.
 */
export interface Evidence {
  kind: 'same-size-different-root' | 'bad-consistency-proof';
  origin: string;
  /** the checkpoint the witness had cosigned (its latest), with the log's and its own signatures */
  cosignedNote: string;
  /** the checkpoint as presented, with the log's signature(s) */
  presentedNote: string;
  oldSize: number;
  /** the consistency proof that came with the request, base64 */
  proof: string[];
  /** POSIX seconds at which the witness refused it */
  observedAt: number;
}

export const MAX_UNPROVEN_EVIDENCE_PER_LOG = 16;

/** Adds a record unless the same presented checkpoint is already kept; caps the inconclusive kind. */
export function keepEvidence(list: readonly Evidence[], e: Evidence): Evidence[] {
  if (list.some((x) => x.kind === e.kind && x.presentedNote === e.presentedNote)) return [...list];
  const next = [...list, e];
  const unproven = next.filter((x) => x.kind === 'bad-consistency-proof');
  if (unproven.length <= MAX_UNPROVEN_EVIDENCE_PER_LOG) return next;
  const drop = unproven[0];
  return next.filter((x) => x !== drop);
}

export type EvidenceVerdict = { proven: true; size: number; roots: [string, string] } | { proven: false; reason: string };

/**
 * Checks a record offline with the log's public key(s): both notes must be validly signed by
 * the log for the same origin and size, with different roots. That is the proof of equivocation.
 */
export function verifyEvidence(e: Evidence, logKeys: readonly NoteVerifier[]): EvidenceVerdict {
  try {
    const a = openCheckpoint(e.cosignedNote, e.origin, logKeys).checkpoint;
    const b = openCheckpoint(e.presentedNote, e.origin, logKeys).checkpoint;
    if (a.size !== b.size) return { proven: false, reason: `the two checkpoints have different sizes (${a.size}, ${b.size}); a consistency proof from the log decides` };
    if (a.rootHash.equals(b.rootHash)) return { proven: false, reason: 'the two checkpoints have the same root' };
    return { proven: true, size: a.size, roots: [a.rootHash.toString('base64'), b.rootHash.toString('base64')] };
  } catch (err) {
    if (err instanceof NoteFormatError) return { proven: false, reason: `a note does not verify with the given log key: ${err.message}` };
    throw err;
  }
}
