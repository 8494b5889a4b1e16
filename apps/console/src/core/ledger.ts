import { b64url, fromB64url } from './bytes';
import type { GatewayApi } from './api';
import { decodeCompact, looksLikeCompactJws, verifyGatewayJws, type Jwks } from './jws';
import { entryLeafHash, verifyConsistency, verifyInclusion } from './merkle';

/** A ledger entry as docs/contract.md §5 describes it (more fields may come; all are hashed). */
export interface LedgerEntry {
  seq: number;
  time: string;
  agency: string;
  kid?: string;
  jti?: string;
  purpose: string;
  operation: string;
  decision: 'PERMIT' | 'DENY';
  reason: string;
  subjects: string[];
  fields: string[];
  request_sha256?: string;
  response_sha256?: string;
  [more: string]: unknown;
}

export interface TreeHeadClaims {
  tree_size: number;
  root_hash: string;
  timestamp: number;
}

/** A tree head as the console saw it, with the outcome of its own checks. */
export interface CheckedHead {
  treeSize: number;
  /** base64url */
  rootHash: string;
  timestamp: number;
  jws: string;
  verified: boolean;
  /** why it is not verified (empty when verified) */
  problems: string[];
  seenAt: number;
}

const JWS_FIELDS = ['sth', 'jws', 'signed_tree_head', 'signedTreeHead', 'signature', 'tree_head', 'treeHead'];

/** Finds the signed tree head in whatever JSON `/audit/sth` answers: the JWS itself or an object holding it. */
export function findTreeHeadJws(json: unknown): string | undefined {
  if (looksLikeCompactJws(json)) return json;
  if (!json || typeof json !== 'object') return undefined;
  const obj = json as Record<string, unknown>;
  for (const f of JWS_FIELDS) if (looksLikeCompactJws(obj[f])) return obj[f] as string;
  for (const v of Object.values(obj)) {
    if (looksLikeCompactJws(v)) return v;
    if (v && typeof v === 'object') {
      const inner = findTreeHeadJws(v);
      if (inner) return inner;
    }
  }
  return undefined;
}

function plainClaims(json: unknown): Partial<TreeHeadClaims> {
  if (!json || typeof json !== 'object') return {};
  const o = json as Record<string, unknown>;
  const src = (o.tree_size !== undefined || o.root_hash !== undefined ? o : (o.sth && typeof o.sth === 'object' ? o.sth : o)) as Record<string, unknown>;
  return {
    tree_size: (src.tree_size ?? src.treeSize) as number | undefined,
    root_hash: (src.root_hash ?? src.rootHash) as string | undefined,
    timestamp: src.timestamp as number | undefined,
  };
}

/**
 * Checks a tree head answer: the JWS must verify with the audit log's key (published marked
 * `signs: "tree-head+jwt"`; never the gateway's response key), typ tree-head+jwt,
 * its claims must be well-formed, and any unsigned copy of them beside it must agree.
 */
export async function checkTreeHead(json: unknown, jwks: Jwks, now = Date.now()): Promise<CheckedHead> {
  const problems: string[] = [];
  const jws = findTreeHeadJws(json);
  const plain = plainClaims(json);
  let claims: Partial<TreeHeadClaims> = {};
  if (!jws) {
    problems.push('no signed tree head (JWS) in the answer');
    claims = plain;
  } else {
    const logKeys = { keys: jwks.keys.filter((k) => k.signs === 'tree-head+jwt') };
    const check = await verifyGatewayJws<TreeHeadClaims>(jws, logKeys, 'tree-head+jwt');
    claims = check.claims ?? decodeCompact<TreeHeadClaims>(jws)?.claims ?? {};
    if (!check.ok) problems.push(`signature: ${check.detail}`);
    for (const k of ['tree_size', 'root_hash', 'timestamp'] as const) {
      if (plain[k] !== undefined && plain[k] !== claims[k]) problems.push(`${k} beside the signature (${String(plain[k])}) differs from the signed ${k} (${String(claims[k])})`);
    }
  }
  if (!Number.isSafeInteger(claims.tree_size) || (claims.tree_size as number) < 0) problems.push('tree_size is not a whole number');
  let rootOk = false;
  try {
    rootOk = typeof claims.root_hash === 'string' && fromB64url(claims.root_hash).length === 32;
  } catch {
    rootOk = false;
  }
  if (!rootOk) problems.push('root_hash is not a base64url SHA-256');
  // What is shown is what was claimed beside the signature when it differs: the operator sees the tampered value flagged.
  return {
    treeSize: Number(plain.tree_size ?? claims.tree_size ?? 0),
    rootHash: String(plain.root_hash ?? claims.root_hash ?? ''),
    timestamp: Number(claims.timestamp ?? plain.timestamp ?? 0),
    jws: jws ?? '',
    verified: problems.length === 0,
    problems,
    seenAt: now,
  };
}

/** The link between two successive heads in the session's history. */
export interface HeadLink {
  from: number;
  to: number;
  state: 'verified' | 'failed' | 'unchecked';
  detail?: string;
}

export function parseHashes(list: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(list)) return undefined;
  try {
    return list.map((h) => fromB64url(String(h)));
  } catch {
    return undefined;
  }
}

/** Fetches PROOF(first, second) and checks it in the page (RFC 9162 §2.1.4.2). */
export async function checkConsistency(api: GatewayApi, older: CheckedHead, newer: CheckedHead): Promise<HeadLink> {
  const link = { from: older.treeSize, to: newer.treeSize };
  if (!older.verified || !newer.verified) return { ...link, state: 'failed', detail: 'one of the heads is not verified' };
  if (newer.treeSize < older.treeSize) return { ...link, state: 'failed', detail: 'the log shrank' };
  let proof: Uint8Array[] | undefined = [];
  if (older.treeSize !== newer.treeSize && older.treeSize > 0) {
    const res = await api.get<{ consistency?: unknown }>(`/audit/proof/consistency?first=${older.treeSize}&second=${newer.treeSize}`);
    if (res.status !== 200) return { ...link, state: 'failed', detail: `proof: HTTP ${res.status} ${res.errorCode ?? ''}`.trim() };
    if (res.signature.state !== 'verified') return { ...link, state: 'failed', detail: 'the proof answer is not signed by the gateway' };
    proof = parseHashes(res.json?.consistency);
    if (!proof) return { ...link, state: 'failed', detail: 'the proof is malformed' };
  }
  const ok = await verifyConsistency(older.treeSize, newer.treeSize, fromB64url(older.rootHash), fromB64url(newer.rootHash), proof);
  return ok ? { ...link, state: 'verified' } : { ...link, state: 'failed', detail: 'the newer head does not extend the older one' };
}

export interface InclusionResult {
  state: 'verified' | 'failed';
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  detail?: string;
}

/** Fetches the inclusion proof of an entry against a verified head and checks it with the entry's own leaf hash. */
export async function checkInclusion(api: GatewayApi, entry: LedgerEntry, head: CheckedHead): Promise<InclusionResult> {
  const leaf = await entryLeafHash(entry);
  const base = { leafIndex: entry.seq, treeSize: head.treeSize, leafHash: b64url(leaf), auditPath: [] as string[] };
  if (!head.verified) return { ...base, state: 'failed', detail: 'the tree head is not verified' };
  if (entry.seq >= head.treeSize) return { ...base, state: 'failed', detail: 'the entry is newer than the tree head' };
  const res = await api.get<{ leaf_index?: number; audit_path?: unknown }>(`/audit/proof/inclusion?seq=${entry.seq}&tree_size=${head.treeSize}`);
  if (res.status !== 200) return { ...base, state: 'failed', detail: `proof: HTTP ${res.status} ${res.errorCode ?? ''}`.trim() };
  if (res.signature.state !== 'verified') return { ...base, state: 'failed', detail: 'the proof answer is not signed by the gateway' };
  const path = parseHashes(res.json?.audit_path);
  const leafIndex = Number(res.json?.leaf_index ?? entry.seq);
  if (!path) return { ...base, state: 'failed', detail: 'the proof is malformed' };
  const shown = { ...base, leafIndex, auditPath: path.map(b64url) };
  if (leafIndex !== entry.seq) return { ...shown, state: 'failed', detail: `the proof is for leaf ${leafIndex}, not ${entry.seq}` };
  const ok = await verifyInclusion(leafIndex, head.treeSize, leaf, path, fromB64url(head.rootHash));
  return ok ? { ...shown, state: 'verified' } : { ...shown, state: 'failed', detail: 'the path does not lead from this entry to the root' };
}

/** Entries from `/audit/entries` answers: a bare array or {entries: [...]}, each an object or its canonical text. */
export function entriesOf(json: unknown): LedgerEntry[] {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' ? ((json as { entries?: unknown }).entries ?? (json as { items?: unknown }).items) : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    if (typeof item === 'string') return JSON.parse(item) as LedgerEntry;
    if (item && typeof item === 'object') {
      const text = (item as { canonical?: unknown }).canonical ?? (item as { canonical_json?: unknown }).canonical_json ?? (item as { canonicalJson?: unknown }).canonicalJson;
      if (typeof text === 'string') return JSON.parse(text) as LedgerEntry;
      const inner = (item as { entry?: unknown }).entry;
      if (inner && typeof inner === 'object') return inner as LedgerEntry;
    }
    return item as LedgerEntry;
  });
}
