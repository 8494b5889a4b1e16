import { CompactSign } from 'jose';
import { batchTree, encodeBatchProof, jobMatchLeaf, MAX_BATCH_SIZE } from './job-match.batch-tree';
import { jobMatchValueSha256 } from './job-match.verifier';
import { JOB_MATCH_BATCH_JWS_TYP, type JobMatchSigner } from './job-match.signature';

/** The payload of a batch JWS. */
export interface BatchClaims {
  iss: string;
  batch_id: string;
  size: number;
  root: string;
}

export interface SignedBatch {
  /** the compact JWS, the same on every event of the batch */
  signature: string;
  /** `x-batch-proof` of each event, in the order given */
  proofs: string[];
  root: string;
}

/**
 * Signs a batch of events once: the RFC 9162 tree over their leaves (in the order given), one JWS
 * over its root. Every event must belong to `batchId` (the consumer checks it against the event's
 * own batch id) and appear once.
 */
export async function signJobMatchBatch(signer: JobMatchSigner, batchId: string, events: ReadonlyArray<{ eventId: string; value: Uint8Array }>): Promise<SignedBatch> {
  if (events.length === 0 || events.length > MAX_BATCH_SIZE) throw new RangeError(`a signed batch holds 1 to ${MAX_BATCH_SIZE} events, not ${events.length}`);
  const ids = new Set<string>();
  for (const e of events) {
    if (ids.has(e.eventId)) throw new Error(`event ${e.eventId} appears twice in the batch`);
    ids.add(e.eventId);
  }
  const { root, paths } = batchTree(events.map((e) => jobMatchLeaf(signer.agency, e.eventId, jobMatchValueSha256(e.value))));
  const claims: BatchClaims = { iss: signer.agency, batch_id: batchId, size: events.length, root: root.toString('base64url') };
  const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: JOB_MATCH_BATCH_JWS_TYP })
    .sign(signer.key);
  return { signature, proofs: paths.map((p, i) => encodeBatchProof(i, p)), root: claims.root };
}
