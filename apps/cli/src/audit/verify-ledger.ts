import fs from 'node:fs/promises';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { canonicalText } from '@passerelle/contracts/canonical-text';
import { TREE_HEAD_TYP, treeHeadKeys } from '@passerelle/crypto';
import { ChunkedLedgerVerifier, defaultVerifyWorkers, verifyConsistency, type VerificationResult, type VerifierState } from '@passerelle/merkle';
import { NoteFormatError } from '@passerelle/checkpoint';
import { acceptCosignedCheckpoint, PolicyError, type AcceptedCheckpoint, type CosignedCheckpointCheck } from '@passerelle/witness';

/** The signed tree head as GET /audit/sth returns it. */
export interface SthJson {
  tree_size: number;
  root_hash: string;
  timestamp: number;
  jws: string;
  /** not signed (docs/contract.md §5): entries below it are sequenced, their audit_seq promised */
  sequenced_size?: number;
  /** ms: when entry tree_size was sequenced, if it is not yet in this head; else 0 */
  pending_since?: number;
  /** the log's maximum merge delay, ms */
  mmd_ms?: number;
}

/** A promise not kept: entry `seq` was sequenced (its audit_seq answered) but is still not in a signed tree head past the MMD. */
export interface BrokenPromise {
  seq: number;
  sequencedAt: number;
  lateByMs: number;
  mmdMs: number;
  /** promised entries not yet in the head (from seq on) */
  pending: number;
}

/**
 * Pure: the oldest promised seq beyond the head, if it is older than the maximum merge delay.
 * Commits land in seq order and a batch's time is taken before its commit, so when the oldest
 * pending entry is within the delay, so is every later one.
 */
export function brokenPromise(sth: SthJson, nowMs: number): BrokenPromise | undefined {
  const sequenced = sth.sequenced_size ?? sth.tree_size;
  if (sequenced <= sth.tree_size || !sth.pending_since || !sth.mmd_ms) return undefined;
  const lateByMs = nowMs - sth.pending_since - sth.mmd_ms;
  if (lateByMs <= 0) return undefined;
  return { seq: sth.tree_size, sequencedAt: sth.pending_since, lateByMs, mmdMs: sth.mmd_ms, pending: sequenced - sth.tree_size };
}

export function brokenPromiseMessage(b: BrokenPromise): string {
  return `BROKEN PROMISE: audit_seq ${b.seq} was sequenced at ${new Date(b.sequencedAt).toISOString()} but is not in a signed tree head ${b.lateByMs} ms past the maximum merge delay of ${b.mmdMs} ms (${b.pending} promised entr${b.pending === 1 ? 'y' : 'ies'} from seq ${b.seq} not yet integrated)`;
}

/** Where a verifier reads the ledger from (the gateway's /audit REST; a fake in tests). */
export interface LedgerSource {
  jwks(): Promise<JSONWebKeySet>;
  sth(): Promise<SthJson>;
  /** entries start..end inclusive, parsed (at most PAGE of them) */
  entries(start: number, end: number): Promise<Array<Record<string, unknown>>>;
  /** base64url hashes of PROOF(first, D[second]) */
  consistency(first: number, second: number): Promise<string[]>;
  /** the latest C2SP checkpoint note with its cosignatures (GET /audit/checkpoint) */
  checkpoint?(): Promise<string>;
}

/** What `--state` keeps: the verified prefix (size, root and compact range) and where it came from. */
export interface SavedState extends VerifierState {
  gateway: string;
  verifiedAt: string;
  sthTimestamp: number;
}

export type VerifyOutcome =
  | { ok: true; treeSize: number; rootHash: string; newEntries: number; state: SavedState; witnessed?: { size: number; by: string[] } }
  | { ok: false; check: 'signature' | 'entry' | 'consistency' | 'count' | 'witness' | 'promise'; seq?: number; message: string };

export const PAGE = 1000;
export { TREE_HEAD_TYP };

/**
 * Checks a signed tree head: its JWS verifies with one of the LOG's keys of the JWKS (those
 * marked `signs: "tree-head+jwt"`; a head signed with the gateway's response key is refused), it
 * is a tree head (typ tree-head+jwt), and its claims are the values served beside it.
 */
export async function checkTreeHead(sth: SthJson, jwks: JSONWebKeySet): Promise<string | undefined> {
  const logKeys = treeHeadKeys(jwks);
  if (logKeys.keys.length === 0) return `the JWKS publishes no audit log key (a key marked signs: "${TREE_HEAD_TYP}"): the signed tree head cannot be checked`;
  let payload: Uint8Array;
  let typ: unknown;
  try {
    const verified = await compactVerify(sth.jws, createLocalJWKSet(logKeys));
    payload = verified.payload;
    typ = verified.protectedHeader.typ;
  } catch (e) {
    return `the signed tree head does not verify with the audit log's published keys (${(e as Error).message})`;
  }
  if (typ !== TREE_HEAD_TYP) return `the signed tree head has typ ${JSON.stringify(typ)}, not ${TREE_HEAD_TYP}`;
  let claims: { tree_size?: unknown; root_hash?: unknown; timestamp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return 'the signed tree head payload is not JSON';
  }
  if (claims.tree_size !== sth.tree_size || claims.root_hash !== sth.root_hash || claims.timestamp !== sth.timestamp) {
    return 'the signed tree head claims (tree_size, root_hash, timestamp) differ from the values served with it';
  }
  if (!Number.isSafeInteger(sth.tree_size) || sth.tree_size < 0 || !/^[A-Za-z0-9_-]{43}$/.test(sth.root_hash)) {
    return 'the signed tree head has a malformed tree_size or root_hash';
  }
  return undefined;
}

/**
 * The whole check, streaming: tree head signature, consistency with the saved head, every
 * entry recomputed into leaves and root, the first bad seq named. Fetches only entries the
 * saved state does not cover.
 */
export async function verifyLedger(
  source: LedgerSource,
  opts: {
    gateway: string;
    state?: SavedState;
    /** Hashing threads beside the main thread: 0 = the main thread alone; default `defaultVerifyWorkers` for the entries to verify. */
    workers?: number;
    onStart?: (total: number) => void;
    onProgress?: (done: number) => void;
    /** a witness policy: the log's checkpoint must carry it and agree with the verified tree */
    witness?: CosignedCheckpointCheck;
    /** the verifier's clock (ms), for the merge-delay check */
    now?: () => number;
  },
): Promise<VerifyOutcome> {
  // The checkpoint first: the tree head fetched after it is at least as large.
  let accepted: AcceptedCheckpoint | undefined;
  if (opts.witness) {
    if (!source.checkpoint) return { ok: false, check: 'witness', message: 'this ledger source serves no checkpoint' };
    try {
      accepted = acceptCosignedCheckpoint(await source.checkpoint(), opts.witness);
    } catch (e) {
      if (e instanceof PolicyError || e instanceof NoteFormatError) return { ok: false, check: 'witness', message: e.message };
      throw e;
    }
  }
  const [jwks, sth] = await Promise.all([source.jwks(), source.sth()]);
  const bad = await checkTreeHead(sth, jwks);
  if (bad) return { ok: false, check: 'signature', message: bad };

  const from = opts.state?.treeSize ?? 0;
  const total = Math.max(0, sth.tree_size - from);
  const verifier = new ChunkedLedgerVerifier(opts.state, { workers: opts.workers ?? defaultVerifyWorkers(total) }); // checks the saved state
  try {
    opts.onStart?.(total);
    for (let start = from; start < sth.tree_size; start += PAGE) {
      const end = Math.min(sth.tree_size, start + PAGE) - 1;
      const page = await source.entries(start, end);
      if (page.length !== end - start + 1) {
        return { ok: false, check: 'count', message: `the gateway returned ${page.length} entries for seq ${start} to ${end}` };
      }
      page.forEach((entry, i) => verifier.push(start + i, canonicalText(entry)));
      await verifier.drain();
      opts.onProgress?.(end + 1 - from);
    }
    const result = await verifier.finish({ treeSize: sth.tree_size, rootHash: Buffer.from(sth.root_hash, 'base64url') }, async (first, second) =>
      (await source.consistency(first, second)).map((h) => Buffer.from(h, 'base64url')),
    );
    if (result.ok && accepted) {
      const bad = await checkpointAgrees(accepted, sth, source);
      if (bad) return { ok: false, check: 'witness', message: bad };
    }
    // Every seq the log has promised must be in a head within its MMD (docs/contract.md §5).
    const broken = result.ok ? brokenPromise(sth, opts.now?.() ?? Date.now()) : undefined;
    if (broken) return { ok: false, check: 'promise', seq: broken.seq, message: brokenPromiseMessage(broken) };
    const done = outcome(result, sth, opts.gateway);
    return done.ok && accepted ? { ...done, witnessed: { size: accepted.checkpoint.size, by: accepted.cosigned } } : done;
  } finally {
    await verifier.close();
  }
}

/**
 * The witnessed checkpoint and the verified tree must be one history: the same root at the same
 * size, or a consistency proof from the checkpoint to the tree head. A log that showed its
 * witnesses another tree than it serves fails here, however well each signs.
 */
async function checkpointAgrees(accepted: AcceptedCheckpoint, sth: SthJson, source: LedgerSource): Promise<string | undefined> {
  const cp = accepted.checkpoint;
  const sthRoot = Buffer.from(sth.root_hash, 'base64url');
  if (cp.size > sth.tree_size) return `the witnessed checkpoint (size ${cp.size}) is ahead of the signed tree head (size ${sth.tree_size}); run again`;
  if (cp.size === sth.tree_size) {
    return cp.rootHash.equals(sthRoot) ? undefined : `SPLIT VIEW: the witnessed checkpoint and the signed tree head have size ${cp.size} and different roots`;
  }
  if (cp.size === 0) return undefined;
  const proof = (await source.consistency(cp.size, sth.tree_size)).map((h) => Buffer.from(h, 'base64url'));
  return verifyConsistency(cp.size, sth.tree_size, cp.rootHash, sthRoot, proof)
    ? undefined
    : `SPLIT VIEW: the ledger served is not an extension of the checkpoint of size ${cp.size} that ${accepted.cosigned.join(', ')} cosigned`;
}

function outcome(result: VerificationResult, sth: SthJson, gateway: string): VerifyOutcome {
  if (!result.ok) return result.check === 'entry' ? { ok: false, check: 'entry', seq: result.seq, message: result.message } : { ok: false, check: result.check, message: result.message };
  return {
    ok: true,
    treeSize: sth.tree_size,
    rootHash: sth.root_hash,
    newEntries: result.verifiedEntries,
    state: { ...result.state, gateway, verifiedAt: new Date().toISOString(), sthTimestamp: sth.timestamp },
  };
}

/** Reads a state file; a missing file is a first run. */
export async function readState(file: string, gateway: string): Promise<SavedState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let s: SavedState;
  try {
    s = JSON.parse(text) as SavedState;
  } catch {
    throw new Error(`--state ${file} is not valid JSON`);
  }
  if (!Number.isSafeInteger(s?.treeSize) || s.treeSize < 0 || typeof s.rootHash !== 'string' || !Array.isArray(s.peaks) || !s.peaks.every((p) => typeof p === 'string')) {
    throw new Error(`--state ${file} is not a verifier state (treeSize, rootHash, peaks)`);
  }
  if (s.gateway && s.gateway !== gateway) throw new Error(`--state ${file} was written for gateway ${s.gateway}, not ${gateway}`);
  return s;
}

/** Writes the state atomically (a crash never leaves half a file). */
export async function writeState(file: string, state: SavedState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(tmp, file);
}
