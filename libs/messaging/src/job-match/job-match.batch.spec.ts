import crypto from 'node:crypto';
import { leafHash, inclusionProof, rootHash } from '@passerelle/merkle';
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { signJobMatchBatch } from './job-match.batch';
import { batchTree, encodeBatchProof, jobMatchLeaf, MAX_BATCH_SIZE, parseBatchProof, proofLength } from './job-match.batch-tree';
import { sampleJobMatchEvent } from './job-match.fixtures';
import { encodeJobMatch } from './job-match.message';
import { JOB_MATCH_BATCH_JWS_TYP, signerFromPrivateJwk, type JobMatchSigner, type PublisherDirectory, type PublisherKey, type SignatureCheck } from './job-match.signature';
import { JobMatchVerifier, jobMatchValueSha256 } from './job-match.verifier';

async function keyPair(alg: 'EdDSA' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { priv: { ...(await exportJWK(privateKey)), kid, alg } as JWK, pub: { ...(await exportJWK(publicKey)), kid, alg } as JWK };
}

interface Ev {
  eventId: string;
  batchId: string;
  value: Buffer;
}

function events(n: number, batchId = 'run-1', prefix = 'evt'): Ev[] {
  return Array.from({ length: n }, (_, i) => {
    const event = sampleJobMatchEvent({ eventId: `${prefix}-${i}`, batchId, score: (i % 100) / 100 });
    return { eventId: event.eventId, batchId, value: encodeJobMatch(event) };
  });
}

describe('batch tree (RFC 9162)', () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`));

  it('gives the reference root and the reference path of every leaf, for every size 1..70', () => {
    for (let n = 1; n <= 70; n++) {
      const ls = leaves(n);
      const { root, paths } = batchTree(ls);
      expect(root.equals(rootHash(ls))).toBe(true);
      for (let i = 0; i < n; i++) {
        const ref = inclusionProof(i, ls);
        expect(paths[i].map((h) => h.toString('hex'))).toEqual(ref.map((h) => h.toString('hex')));
        expect(proofLength(i, n)).toBe(ref.length);
      }
    }
  });

  it('bounds the path of the largest batch to 14 hashes', () => {
    expect(Math.max(...[0, 4095, 8191, MAX_BATCH_SIZE - 1].map((i) => proofLength(i, MAX_BATCH_SIZE)))).toBe(14);
  });

  it('parses what it encodes, and refuses anything else', () => {
    const path = leaves(3);
    expect(parseBatchProof(encodeBatchProof(5, path))).toEqual({ ok: true, index: 5, path });
    expect(parseBatchProof('0.')).toEqual({ ok: true, index: 0, path: [] });
    for (const bad of ['', '5', '-1.', '01.', '1e3.', `1.${'A'.repeat(42)}`, `1.${'A'.repeat(44)}`, `1.${'A'.repeat(43)}~`, `1.${'A'.repeat(42)}+`, `1.${Array(15).fill('A'.repeat(43)).join('~')}`]) {
      expect(parseBatchProof(bad).ok).toBe(false);
    }
  });

  it('hashes the canonical (JCS) claims of the per-event signature as the leaf', () => {
    const expected = crypto.createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from('{"event_id":"e-1","iss":"ca.esdc","value_sha256":"abc"}')])).digest();
    expect(jobMatchLeaf('ca.esdc', 'e-1', 'abc').equals(expected)).toBe(true);
  });
});

describe('batch-signed events: the verifier (§6.1)', () => {
  let ed: Awaited<ReturnType<typeof keyPair>>;
  let ec: Awaited<ReturnType<typeof keyPair>>;
  let old: Awaited<ReturnType<typeof keyPair>>;
  let mifi: Awaited<ReturnType<typeof keyPair>>;
  let keys: Record<string, Record<string, PublisherKey>>;
  let signer: JobMatchSigner;
  let verifier: JobMatchVerifier;

  beforeAll(async () => {
    ed = await keyPair('EdDSA', 'esdc-ed');
    ec = await keyPair('ES256', 'esdc-ec');
    old = await keyPair('EdDSA', 'esdc-old');
    mifi = await keyPair('EdDSA', 'mifi-1');
    signer = await signerFromPrivateJwk('ca.esdc', ed.priv);
  });

  beforeEach(() => {
    keys = {
      'ca.esdc': {
        'esdc-ed': { jwk: ed.pub, alg: 'EdDSA', status: 'active' },
        'esdc-ec': { jwk: ec.pub, alg: 'ES256', status: 'active' },
        'esdc-old': { jwk: old.pub, alg: 'EdDSA', status: 'revoked' },
      },
      'qc.mifi': { 'mifi-1': { jwk: mifi.pub, alg: 'EdDSA', status: 'active' } },
    };
    const dir: PublisherDirectory = { isPublisher: (a) => a in keys, key: (a, kid) => keys[a]?.[kid] };
    verifier = new JobMatchVerifier(dir);
  });

  function check(agency: string, batchSignature: string, batchProof: string | undefined, ev: Ev): SignatureCheck {
    const prepared = verifier.prepareBatch({ agency, batchSignature, batchProof });
    if (prepared.done) return prepared.done;
    return verifier.finishBatch(prepared, ev, jobMatchValueSha256(ev.value));
  }
  const fail = (code: string, detail: string | RegExp) => expect.objectContaining({ ok: false, code, detail: typeof detail === 'string' ? detail : expect.stringMatching(detail) }) as unknown as SignatureCheck;

  /** A batch JWS with chosen claims (what a forger holding a key, or a buggy publisher, could send). */
  async function rawBatchJws(claims: object, jwk: JWK = ed.priv, kid = 'esdc-ed'): Promise<string> {
    const s = await signerFromPrivateJwk('ca.esdc', jwk);
    return new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader({ alg: s.alg, kid, typ: JOB_MATCH_BATCH_JWS_TYP }).sign(s.key);
  }

  it.each(['EdDSA', 'ES256'] as const)('accepts every event of a batch signed with an active %s key, with ONE key operation per batch', async (alg) => {
    const s = await signerFromPrivateJwk('ca.esdc', alg === 'EdDSA' ? ed.priv : ec.priv);
    const evs = events(37);
    const signed = await signJobMatchBatch(s, 'run-1', evs);
    const spy = jest.spyOn(crypto, 'verify');
    try {
      for (let i = 0; i < evs.length; i++) expect(check('ca.esdc', signed.signature, signed.proofs[i], evs[i])).toEqual({ ok: true, agency: 'ca.esdc', kid: s.kid, eventId: evs[i].eventId });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('accepts a batch of one event (empty path) and refuses any other leaf of it', async () => {
    const [ev] = events(1);
    const signed = await signJobMatchBatch(signer, 'run-1', [ev]);
    expect(signed.proofs).toEqual(['0.']);
    expect(check('ca.esdc', signed.signature, '0.', ev)).toMatchObject({ ok: true });
    expect(check('ca.esdc', signed.signature, '1.', ev)).toEqual(fail('bad_signature', 'leaf index 1 is not below the batch size 1'));
    expect(check('ca.esdc', signed.signature, `0.${Buffer.alloc(32).toString('base64url')}`, ev)).toEqual(fail('bad_signature', 'x-batch-proof has 1 hashes; leaf 0 of a batch of 1 needs 0'));
  });

  it('refuses an event moved from one batch into another', async () => {
    const a = events(8, 'run-1', 'a');
    const b = events(8, 'run-1', 'b');
    const c = events(8, 'run-2', 'c');
    const sa = await signJobMatchBatch(signer, 'run-1', a);
    const sb = await signJobMatchBatch(signer, 'run-1', b);
    const sc = await signJobMatchBatch(signer, 'run-2', c);
    // same batch id: the path leads to A's root, not B's
    expect(check('ca.esdc', sb.signature, sa.proofs[3], a[3])).toEqual(fail('bad_signature', 'x-batch-proof does not lead from this event to the signed root'));
    // another batch id: refused before any hashing
    expect(check('ca.esdc', sc.signature, sa.proofs[3], a[3])).toEqual(fail('bad_signature', "batch_id of x-batch-signature is not the event's batchId"));
  });

  it('refuses a path that does not lead to the signed root, and a path of the wrong length', async () => {
    const evs = events(10);
    const signed = await signJobMatchBatch(signer, 'run-1', evs);
    const [index, hashes] = signed.proofs[4].split('.');
    const path = hashes.split('~');
    const flipped = Buffer.from(path[1], 'base64url');
    flipped[0] ^= 1;
    const tampered = `${index}.${[path[0], flipped.toString('base64url'), ...path.slice(2)].join('~')}`;
    expect(check('ca.esdc', signed.signature, tampered, evs[4])).toEqual(fail('bad_signature', 'x-batch-proof does not lead from this event to the signed root'));
    // another leaf's index with this leaf's path
    expect(check('ca.esdc', signed.signature, `5.${hashes}`, evs[4])).toEqual(fail('bad_signature', 'x-batch-proof does not lead from this event to the signed root'));
    expect(check('ca.esdc', signed.signature, `${index}.${path.slice(1).join('~')}`, evs[4])).toEqual(fail('bad_signature', /^x-batch-proof has 3 hashes; leaf 4 of a batch of 10 needs 4$/));
    expect(check('ca.esdc', signed.signature, 'garbage', evs[4])).toEqual(fail('bad_signature', 'x-batch-proof is not <leaf index>.<path>'));
    // a changed value is another leaf
    const changed = { ...evs[4], value: Buffer.concat([evs[4].value, Buffer.from([0])]) };
    expect(check('ca.esdc', signed.signature, signed.proofs[4], changed)).toEqual(fail('bad_signature', 'x-batch-proof does not lead from this event to the signed root'));
  });

  it("refuses a batch signed by another agency's key, an unknown, a revoked key, and a key revoked after its batch was cached", async () => {
    const evs = events(4);
    const byMifi = await signJobMatchBatch(await signerFromPrivateJwk('qc.mifi', mifi.priv), 'run-1', evs);
    expect(check('ca.esdc', byMifi.signature, byMifi.proofs[0], evs[0])).toEqual(fail('unknown_key', 'kid is not a key of the publisher'));
    // mifi's own events are fine under its own x-agency; the leaves name the signer, so esdc's path does not fit
    expect(check('qc.mifi', byMifi.signature, byMifi.proofs[0], evs[0])).toMatchObject({ ok: true, agency: 'qc.mifi' });
    const byOld = await signJobMatchBatch({ ...(await signerFromPrivateJwk('ca.esdc', old.priv)) }, 'run-1', evs);
    expect(check('ca.esdc', byOld.signature, byOld.proofs[0], evs[0])).toEqual(fail('unknown_key', 'key is revoked'));
    const good = await signJobMatchBatch(signer, 'run-1', evs);
    expect(check('ca.esdc', good.signature, good.proofs[0], evs[0])).toMatchObject({ ok: true });
    keys['ca.esdc']['esdc-ed'] = { ...keys['ca.esdc']['esdc-ed'], status: 'revoked' };
    verifier.clear(); // the registry reload
    expect(check('ca.esdc', good.signature, good.proofs[1], evs[1])).toEqual(fail('unknown_key', 'key is revoked'));
    expect(check('qc.gone', good.signature, good.proofs[1], evs[1])).toEqual(fail('unknown_publisher', 'x-agency is not a publisher in the registry'));
  });

  it('refuses a signed root replayed over another set of events', async () => {
    const signed = await signJobMatchBatch(signer, 'run-1', events(6, 'run-1', 'orig'));
    const others = events(6, 'run-1', 'other');
    const theirs = await signJobMatchBatch(signer, 'run-1', others); // the proofs an attacker can compute for its own set
    for (let i = 0; i < others.length; i++) expect(check('ca.esdc', signed.signature, theirs.proofs[i], others[i])).toEqual(fail('bad_signature', 'x-batch-proof does not lead from this event to the signed root'));
    // the same claims with another size or batch id are another JWS, which must verify on its own
    const [h, , sig] = signed.signature.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ iss: 'ca.esdc', batch_id: 'run-1', size: 7, root: signed.root })).toString('base64url')}.${sig}`;
    expect(check('ca.esdc', forged, theirs.proofs[0], others[0])).toEqual(fail('bad_signature', 'signature does not verify'));
  });

  it('refuses an event with a batch signature but no proof', async () => {
    const evs = events(2);
    const signed = await signJobMatchBatch(signer, 'run-1', evs);
    expect(check('ca.esdc', signed.signature, undefined, evs[0])).toEqual(fail('bad_signature', 'x-batch-signature without x-batch-proof'));
  });

  it(`bounds a batch to ${MAX_BATCH_SIZE} events: a larger one is refused at both ends`, async () => {
    const ev = events(1)[0];
    const leaf = jobMatchLeaf('ca.esdc', ev.eventId, jobMatchValueSha256(ev.value));
    const jws = await rawBatchJws({ iss: 'ca.esdc', batch_id: 'run-1', size: MAX_BATCH_SIZE + 1, root: leaf.toString('base64url') });
    expect(check('ca.esdc', jws, '0.', ev)).toEqual(fail('bad_signature', `batch size ${MAX_BATCH_SIZE + 1} exceeds ${MAX_BATCH_SIZE}`));
    await expect(signJobMatchBatch(signer, 'run-1', Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => ({ eventId: `e${i}`, value: ev.value })))).rejects.toThrow(/1 to 10000 events/);
    for (const size of [0, -1, 1.5, '3']) {
      const bad = await rawBatchJws({ iss: 'ca.esdc', batch_id: 'run-1', size, root: leaf.toString('base64url') });
      expect(check('ca.esdc', bad, '0.', ev)).toEqual(fail('bad_signature', 'batch JWS size must be a whole number ≥ 1'));
    }
  });

  it('refuses the second leaf of an event id that appears twice in a signed batch; a redelivery of the same leaf passes', async () => {
    const evs = events(4);
    const dup = [...evs, evs[1]];
    const leaves = dup.map((e) => jobMatchLeaf('ca.esdc', e.eventId, jobMatchValueSha256(e.value)));
    const { root, paths } = batchTree(leaves);
    const jws = await rawBatchJws({ iss: 'ca.esdc', batch_id: 'run-1', size: dup.length, root: root.toString('base64url') });
    await expect(signJobMatchBatch(signer, 'run-1', dup)).rejects.toThrow(/appears twice/);
    expect(check('ca.esdc', jws, encodeBatchProof(1, paths[1]), evs[1])).toMatchObject({ ok: true });
    expect(check('ca.esdc', jws, encodeBatchProof(1, paths[1]), evs[1])).toMatchObject({ ok: true });
    expect(check('ca.esdc', jws, encodeBatchProof(4, paths[4]), evs[1])).toEqual(fail('bad_signature', 'event_id is at leaf 1 of this batch already'));
  });

  it('refuses batch JWSs with a wrong typ, a foreign iss, a bad root or batch id', async () => {
    const [ev] = events(1);
    const root = jobMatchLeaf('ca.esdc', ev.eventId, jobMatchValueSha256(ev.value)).toString('base64url');
    const perEventTyp = await new CompactSign(Buffer.from(JSON.stringify({ iss: 'ca.esdc', batch_id: 'run-1', size: 1, root }))).setProtectedHeader({ alg: 'EdDSA', kid: 'esdc-ed', typ: 'job-match+jwt' }).sign(signer.key);
    expect(check('ca.esdc', perEventTyp, '0.', ev)).toEqual(fail('bad_signature', 'JWS typ must be job-match-batch+jwt'));
    expect(check('ca.esdc', await rawBatchJws({ iss: 'qc.mifi', batch_id: 'run-1', size: 1, root }), '0.', ev)).toEqual(fail('bad_signature', 'iss does not match x-agency'));
    expect(check('ca.esdc', await rawBatchJws({ iss: 'ca.esdc', batch_id: 'run-1', size: 1, root: 'AAAA' }), '0.', ev)).toEqual(fail('bad_signature', 'batch JWS root is not a base64url SHA-256'));
    expect(check('ca.esdc', await rawBatchJws({ iss: 'ca.esdc', batch_id: 'run 1', size: 1, root }), '0.', ev)).toEqual(fail('bad_signature', 'batch JWS has no valid batch_id'));
    expect(check('ca.esdc', 'not-a-jws', '0.', ev)).toEqual(fail('bad_signature', 'x-batch-signature is not a compact JWS'));
  });
});
