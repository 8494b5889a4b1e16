import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  HEADER_AGENCY,
  HEADER_BATCH_PROOF,
  HEADER_BATCH_SIGNATURE,
  HEADER_SIGNATURE,
  JOB_MATCH_BATCH_JWS_TYP,
  JOB_MATCH_ALGORITHMS,
  JOB_MATCH_JWS_TYP,
  type JobMatchAlgorithm,
  type PublisherDirectory,
  type PublisherKey,
  type SignatureCheck,
} from './job-match.signature';
import { jobMatchLeaf, leadsToRoot, MAX_BATCH_SIZE, parseBatchProof, proofLength } from './job-match.batch-tree';

interface CachedKey {
  key: PublisherKey;
  /** null when the registry's JWK does not import (every signature by it fails to verify) */
  object: KeyObject | null;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** base64url SHA-256 of the value bytes (the `value_sha256` claim). */
export function jobMatchValueSha256(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Synchronous verifier of job-match signatures for the consumer's hot path: the same checks, in
 * the same order, with the same codes and details as `verifyJobMatchSignature`, but with public
 * keys imported once per (agency, kid) and node:crypto called directly (no promise per event).
 * Stricter than jose on one point only: a protected header with `crit` is refused (the contract
 * defines no extension). Call `clear()` when the registry is reloaded.
 */
export class JobMatchVerifier {
  private readonly keys = new Map<string, CachedKey | null>();
  private readonly publishers = new Map<string, boolean>();
  /** verdicts of batch JWSs by (agency, exact JWS), least recently used first */
  private readonly batches = new Map<string, VerifiedBatch | { ok: false; refusal: SignatureCheck }>();
  private generation = 0;

  constructor(private directory: PublisherDirectory) {}

  /** Forgets every imported key and publisher answer (registry reload); optionally a new directory. */
  clear(directory?: PublisherDirectory): void {
    if (directory) this.directory = directory;
    this.generation++;
    this.keys.clear();
    this.publishers.clear();
    this.batches.clear();
  }

  private isPublisher(agency: string): boolean {
    let yes = this.publishers.get(agency);
    if (yes === undefined) {
      yes = this.directory.isPublisher(agency);
      this.publishers.set(agency, yes);
    }
    return yes;
  }

  private lookup(agency: string, kid: string): CachedKey | null {
    const id = `${agency}\u0000${kid}`;
    let cached = this.keys.get(id);
    if (cached === undefined) {
      const key = this.directory.key(agency, kid);
      if (!key) cached = null;
      else {
        let object: KeyObject | null = null;
        try {
          object = createPublicKey({ key: key.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        } catch {
          object = null;
        }
        cached = { key, object };
      }
      this.keys.set(id, cached);
    }
    return cached;
  }

  /**
   * Checks `x-agency` and `x-signature` against the value bytes, whose base64url SHA-256 the
   * caller passes (it needs it anyway). Does not decode the value.
   */
  verify(input: SignatureInput): SignatureCheck {
    const prepared = this.prepare(input);
    if (prepared.done) return prepared.done;
    return this.finish(prepared, verifyJws(prepared.alg, prepared.signingInput, this.lookup(prepared.agency, prepared.kid)!.object!, prepared.signature));
  }

  /**
   * Everything but the public-key operation: either the answer already (a refusal found from the
   * headers and the registry), or the signature check to make — `finish` then gives the answer.
   * Lets the caller run the key operations elsewhere (a worker thread) with `verifyJws`.
   */
  prepare(input: SignatureInput): PreparedSignature {
    const { agency, signature } = input;
    if (!agency) return { done: { ok: false, code: 'unknown_publisher', detail: `missing ${HEADER_AGENCY} header` } };
    if (!this.isPublisher(agency)) return { done: { ok: false, code: 'unknown_publisher', detail: `${HEADER_AGENCY} is not a publisher in the registry` } };
    if (!signature) return { done: { ok: false, code: 'bad_signature', detail: `missing ${HEADER_SIGNATURE} header`, agency } };
    const jws = this.checkJws(agency, signature, JOB_MATCH_JWS_TYP, HEADER_SIGNATURE);
    if ('done' in jws) return jws;
    const { kid, alg, key, dot2 } = jws;
    const payloadB64 = jws.payloadB64;
    const sigB64 = jws.sigB64;
    return {
      agency,
      kid,
      alg: alg as JobMatchAlgorithm,
      keyRef: `${this.generation}\u0000${agency}\u0000${kid}`,
      jwk: key.jwk,
      signingInput: signature.slice(0, dot2),
      signature: sigB64,
      payload: payloadB64,
      valueSha256: input.valueSha256,
    };
  }

  /**
   * The header checks of a compact JWS by a key of `agency` (shared by per-event and batch
   * signatures, same order and details): either a refusal or the parts to verify.
   */
  private checkJws(agency: string, signature: string, typ: string, headerName: string): { done: SignatureCheck } | CheckedJws {
    const dot1 = signature.indexOf('.');
    const protectedB64 = dot1 < 0 ? signature : signature.slice(0, dot1);
    let header: { typ?: unknown; alg?: unknown; kid?: unknown; crit?: unknown };
    try {
      const parts = signature.split('.', 6).length; // as jose's decodeProtectedHeader: 3 (JWS) or 5 parts
      if ((parts !== 3 && parts !== 5) || protectedB64 === '' || !B64URL.test(protectedB64)) throw new Error('not a compact serialization');
      header = JSON.parse(Buffer.from(protectedB64, 'base64url').toString('utf8'));
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('not an object');
    } catch {
      return { done: { ok: false, code: 'bad_signature', detail: `${headerName} is not a compact JWS`, agency } };
    }
    if (header.typ !== typ) return { done: { ok: false, code: 'bad_signature', detail: `JWS typ must be ${typ}`, agency } };
    const alg = header.alg;
    if (typeof alg !== 'string' || !(JOB_MATCH_ALGORITHMS as readonly string[]).includes(alg)) {
      return { done: { ok: false, code: 'bad_signature', detail: `JWS alg must be one of ${JOB_MATCH_ALGORITHMS.join(', ')}`, agency } };
    }
    if (typeof header.kid !== 'string' || header.kid === '') return { done: { ok: false, code: 'unknown_key', detail: 'JWS has no kid', agency } };
    const kid = header.kid;
    const cached = this.lookup(agency, kid);
    if (!cached) return { done: { ok: false, code: 'unknown_key', detail: 'kid is not a key of the publisher', agency, kid } };
    const { key, object } = cached;
    if (key.status !== 'active') return { done: { ok: false, code: 'unknown_key', detail: `key is ${key.status}`, agency, kid } };
    if (key.alg !== alg) return { done: { ok: false, code: 'bad_signature', detail: 'JWS alg does not match the key', agency, kid } };

    const failed: SignatureCheck = { ok: false, code: 'bad_signature', detail: 'signature does not verify', agency, kid };
    const dot2 = dot1 < 0 ? -1 : signature.indexOf('.', dot1 + 1);
    if (dot2 < 0 || signature.indexOf('.', dot2 + 1) >= 0 || object === null || header.crit !== undefined) return { done: failed };
    const payloadB64 = signature.slice(dot1 + 1, dot2);
    const sigB64 = signature.slice(dot2 + 1);
    if (!B64URL.test(payloadB64) || sigB64 === '' || !B64URL.test(sigB64)) return { done: failed };
    return { kid, alg: alg as JobMatchAlgorithm, key, object, dot2, payloadB64, sigB64 };
  }

  /**
   * The first half of a batch-signed event's check (§6.1), before its value is decoded: the batch
   * JWS (public-key operation once per distinct JWS and agency, then cached until the registry
   * reloads) and the form of the proof. `finishBatch` binds the decoded event to the signed root.
   */
  prepareBatch(input: BatchSignatureInput): PreparedBatchMember {
    const { agency, batchSignature, batchProof } = input;
    if (!agency) return { done: { ok: false, code: 'unknown_publisher', detail: `missing ${HEADER_AGENCY} header` } };
    if (!this.isPublisher(agency)) return { done: { ok: false, code: 'unknown_publisher', detail: `${HEADER_AGENCY} is not a publisher in the registry` } };
    const batch = this.verifiedBatch(agency, batchSignature);
    if (!batch.ok) return { done: batch.refusal };
    if (batchProof === undefined) return { done: { ok: false, code: 'bad_signature', detail: `${HEADER_BATCH_SIGNATURE} without ${HEADER_BATCH_PROOF}`, agency, kid: batch.kid } };
    const proof = parseBatchProof(batchProof);
    if (!proof.ok) return { done: { ok: false, code: 'bad_signature', detail: proof.detail, agency, kid: batch.kid } };
    return { batch, index: proof.index, path: proof.path };
  }

  /** The second half: this event (its id, batch id and value hash) is the leaf the proof leads from to the signed root. */
  finishBatch(prepared: PendingBatchMember, event: { eventId: string; batchId: string }, valueSha256: string): SignatureCheck {
    const { batch, index, path } = prepared;
    const { agency, kid } = batch;
    const refuse = (detail: string): SignatureCheck => ({ ok: false, code: 'bad_signature', detail, agency, kid });
    if (event.batchId !== batch.batchId) return refuse(`batch_id of ${HEADER_BATCH_SIGNATURE} is not the event's batchId`);
    if (index >= batch.size) return refuse(`leaf index ${index} is not below the batch size ${batch.size}`);
    const expected = proofLength(index, batch.size);
    if (path.length !== expected) return refuse(`${HEADER_BATCH_PROOF} has ${path.length} hashes; leaf ${index} of a batch of ${batch.size} needs ${expected}`);
    if (!leadsToRoot(jobMatchLeaf(agency, event.eventId, valueSha256), index, batch.size, path, batch.root)) {
      return refuse(`${HEADER_BATCH_PROOF} does not lead from this event to the signed root`);
    }
    const at = batch.members.get(event.eventId);
    if (at !== undefined && at !== index) return refuse(`event_id is at leaf ${at} of this batch already`);
    batch.members.set(event.eventId, index);
    return { ok: true, agency, kid, eventId: event.eventId };
  }

  /** The batch JWS's verdict, from the cache or checked now (and cached once the key operation ran). */
  private verifiedBatch(agency: string, batchSignature: string): VerifiedBatch | { ok: false; refusal: SignatureCheck } {
    const id = `${agency}\u0000${batchSignature}`;
    const hit = this.batches.get(id);
    if (hit) {
      this.batches.delete(id); // most recently used last
      this.batches.set(id, hit);
      return hit;
    }
    const jws = this.checkJws(agency, batchSignature, JOB_MATCH_BATCH_JWS_TYP, HEADER_BATCH_SIGNATURE);
    if ('done' in jws) return { ok: false, refusal: jws.done };
    const { kid } = jws;
    const refuse = (detail: string) => ({ ok: false as const, refusal: { ok: false as const, code: 'bad_signature' as const, detail, agency, kid } });
    let verdict: VerifiedBatch | { ok: false; refusal: SignatureCheck };
    if (!verifyJws(jws.alg, batchSignature.slice(0, jws.dot2), jws.object!, jws.sigB64)) verdict = refuse('signature does not verify');
    else verdict = batchVerdict(agency, kid, jws.payloadB64, refuse);
    this.batches.set(id, verdict as VerifiedBatch);
    if (this.batches.size > MAX_CACHED_BATCHES) this.batches.delete(this.batches.keys().next().value as string);
    return verdict;
  }

  /** The answer once the public-key operation of a prepared check is known. */
  finish(prepared: PendingSignature, good: boolean): SignatureCheck {
    const { agency, kid } = prepared;
    if (!good) return { ok: false, code: 'bad_signature', detail: 'signature does not verify', agency, kid };
    let claims: { iss?: unknown; event_id?: unknown; value_sha256?: unknown };
    try {
      claims = JSON.parse(Buffer.from(prepared.payload, 'base64url').toString('utf8'));
      if (typeof claims !== 'object' || claims === null) throw new Error('not an object');
    } catch {
      return { ok: false, code: 'bad_signature', detail: 'JWS payload is not JSON', agency, kid };
    }
    if (claims.iss !== agency) return { ok: false, code: 'bad_signature', detail: `iss does not match ${HEADER_AGENCY}`, agency, kid };
    if (typeof claims.event_id !== 'string' || claims.event_id === '') return { ok: false, code: 'bad_signature', detail: 'JWS payload has no event_id', agency, kid };
    if (claims.value_sha256 !== prepared.valueSha256) return { ok: false, code: 'bad_signature', detail: 'value_sha256 does not match the value', agency, kid };
    return { ok: true, agency, kid, eventId: claims.event_id };
  }
}

/** Batch verdicts kept (each remembers at most MAX_BATCH_SIZE event ids). */
const MAX_CACHED_BATCHES = 64;
const BATCH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface CheckedJws {
  kid: string;
  alg: JobMatchAlgorithm;
  key: PublisherKey;
  object: KeyObject | null;
  /** index of the second dot: the signing input ends there */
  dot2: number;
  payloadB64: string;
  sigB64: string;
}

/** A batch JWS that verified, with its claims, and which event id sat at which leaf so far. */
export interface VerifiedBatch {
  ok: true;
  agency: string;
  kid: string;
  batchId: string;
  size: number;
  root: Buffer;
  members: Map<string, number>;
}

function batchVerdict(agency: string, kid: string, payloadB64: string, refuse: (detail: string) => { ok: false; refusal: SignatureCheck }): VerifiedBatch | { ok: false; refusal: SignatureCheck } {
  let claims: { iss?: unknown; batch_id?: unknown; size?: unknown; root?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payloadB64, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) throw new Error('not an object');
  } catch {
    return refuse('JWS payload is not JSON');
  }
  if (claims.iss !== agency) return refuse(`iss does not match ${HEADER_AGENCY}`);
  if (typeof claims.batch_id !== 'string' || !BATCH_ID.test(claims.batch_id)) return refuse('batch JWS has no valid batch_id');
  if (typeof claims.size !== 'number' || !Number.isSafeInteger(claims.size) || claims.size < 1) return refuse('batch JWS size must be a whole number ≥ 1');
  if (claims.size > MAX_BATCH_SIZE) return refuse(`batch size ${claims.size} exceeds ${MAX_BATCH_SIZE}`);
  if (typeof claims.root !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(claims.root)) return refuse('batch JWS root is not a base64url SHA-256');
  return { ok: true, agency, kid, batchId: claims.batch_id, size: claims.size, root: Buffer.from(claims.root, 'base64url'), members: new Map() };
}

export interface BatchSignatureInput {
  agency: string | undefined;
  batchSignature: string;
  batchProof: string | undefined;
}

export interface PendingBatchMember {
  done?: undefined;
  batch: VerifiedBatch;
  index: number;
  path: Buffer[];
}

export type PreparedBatchMember = { done: SignatureCheck } | PendingBatchMember;

export interface SignatureInput {
  agency: string | undefined;
  signature: string | undefined;
  valueSha256: string;
}

/** A signature check left to make: the key operation (`verifyJws`), then `finish`. */
export interface PendingSignature {
  done?: undefined;
  agency: string;
  kid: string;
  alg: JobMatchAlgorithm;
  /** names the key (and the registry generation) for a cache of imported keys */
  keyRef: string;
  jwk: PublisherKey['jwk'];
  /** `<protected>.<payload>`, the bytes signed */
  signingInput: string;
  /** base64url signature */
  signature: string;
  payload: string;
  valueSha256: string;
}

export type PreparedSignature = { done: SignatureCheck } | PendingSignature;

/** The public-key operation of a JWS (EdDSA with Ed25519, or ES256 with a 64-byte r||s signature). */
export function verifyJws(alg: JobMatchAlgorithm, signingInput: string, key: KeyObject, signatureB64: string): boolean {
  try {
    const data = Buffer.from(signingInput, 'ascii');
    const sig = Buffer.from(signatureB64, 'base64url');
    if (alg === 'EdDSA') return cryptoVerify(null, data, key, sig);
    return sig.length === 64 && cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
