import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  cosignatureVerifier,
  cosigner,
  ed25519Signer,
  ed25519Verifier,
  EMPTY_TREE_ROOT,
  generateKeyPair,
  openNote,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  verifyCosignatures,
} from '@passerelle/checkpoint';
import { consistencyProof, leafHash, rootHash, type Hash } from '@passerelle/merkle';
import {
  addCheckpoint,
  CheckpointStaleError,
  EmptyTreeRootError,
  FileWitnessStore,
  formatAddCheckpointRequest,
  InvalidProofError,
  listEvidence,
  MAX_UNPROVEN_EVIDENCE_PER_LOG,
  MalformedRequestError,
  MemoryWitnessStore,
  NoValidSignatureError,
  OldSizeInvalidError,
  parseAddCheckpointRequest,
  RootMismatchError,
  UnknownLogError,
  verifyEvidence,
  WitnessError,
  type WitnessState,
  type WitnessStore,
} from '.';

const ORIGIN = 'passerelle.example/ledger';
const logKey = generateKeyPair(ORIGIN, SIG_ED25519);
const logSigner = ed25519Signer(logKey);
const logVerifier = ed25519Verifier(logKey.name, logKey.publicKey);
const witnessKey = generateKeyPair('cai.qc.example/witness', SIG_COSIGNATURE_V1);
const witnessVerifier = cosignatureVerifier(witnessKey.name, witnessKey.publicKey);

/** A log as the ledger keeps it: leaves, and signed checkpoints with proofs between sizes. */
function log(prefix: string, n: number) {
  const leaves: Hash[] = [...Array(n)].map((_, i) => leafHash(`${prefix}:${i}`));
  const checkpoint = (size: number) => signCheckpoint({ origin: ORIGIN, size, rootHash: size ? rootHash(leaves.slice(0, size)) : EMPTY_TREE_ROOT, extensions: [] }, [logSigner]);
  const proof = (from: number, to: number) => (from === 0 || from === to ? [] : consistencyProof(from, leaves.slice(0, to)));
  const request = (from: number, to: number) => formatAddCheckpointRequest({ oldSize: from, proof: proof(from, to), checkpoint: checkpoint(to) });
  return { leaves, checkpoint, proof, request };
}
const honest = log('entry', 64);
// A fork: the same first 5 entries, then different ones.
const forked = { ...log('entry', 64) };
forked.leaves.splice(5, 64, ...[...Array(59)].map((_, i) => leafHash(`forged:${i}`)));

let clock = 1_800_000_000;
function witnessOn(store: WitnessStore): WitnessState {
  return { store, logs: new Map([[ORIGIN, [logVerifier]]]), cosigner: cosigner(witnessKey), now: () => clock };
}

async function refusal(p: Promise<unknown>): Promise<WitnessError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WitnessError);
    return e as WitnessError;
  }
  throw new Error('expected a refusal');
}

describe('add-checkpoint (c2sp.org/tlog-witness)', () => {
  let w: WitnessState;
  beforeEach(() => {
    w = witnessOn(new MemoryWitnessStore());
  });

  it('cosigns a good chain: first checkpoint on trust, then each one with a consistency proof', async () => {
    for (const [from, to] of [
      [0, 3],
      [3, 8],
      [8, 8],
      [8, 21],
    ]) {
      clock++;
      const res = await addCheckpoint(w, honest.request(from, to));
      expect(res.checkpoint.size).toBe(to);
      expect(res.cosignatures).toMatch(/^— cai\.qc\.example\/witness [A-Za-z0-9+/=]+\n$/);
      // the stored note verifies with the log key and carries a cosignature for this time
      expect(openNote(res.note, [logVerifier]).verified).toHaveLength(1);
      expect(verifyCosignatures(res.note, [witnessVerifier])).toEqual([expect.objectContaining({ timestamp: clock })]);
    }
  });

  it('404 for a log it does not follow, 403 without a valid log signature', async () => {
    const other = generateKeyPair('elsewhere.example/log', SIG_ED25519);
    const foreign = signCheckpoint({ origin: 'elsewhere.example/log', size: 1, rootHash: honest.leaves[0], extensions: [] }, [ed25519Signer(other)]);
    expect((await refusal(addCheckpoint(w, `old 0\n\n${foreign}`))).status).toBe(404);
    const impostor = generateKeyPair(ORIGIN, SIG_ED25519);
    const unsigned = signCheckpoint({ origin: ORIGIN, size: 1, rootHash: honest.leaves[0], extensions: [] }, [ed25519Signer(impostor)]);
    expect(await refusal(addCheckpoint(w, `old 0\n\n${unsigned}`))).toBeInstanceOf(NoValidSignatureError);
    const tampered = honest.checkpoint(3).replace('\n3\n', '\n4\n');
    expect(await refusal(addCheckpoint(w, `old 0\n\n${tampered}`))).toMatchObject({ status: 403 });
    expect(await refusal(addCheckpoint(w, `old 0\n\nelsewhere.example/log\n`))).toBeInstanceOf(UnknownLogError);
  });

  it('400 for a malformed request and for an old size above the checkpoint size', async () => {
    expect(await refusal(addCheckpoint(w, `old 01\n\n${honest.checkpoint(3)}`))).toBeInstanceOf(MalformedRequestError);
    expect(await refusal(addCheckpoint(w, `${honest.checkpoint(3)}`))).toBeInstanceOf(MalformedRequestError);
    expect(await refusal(addCheckpoint(w, `old 0\nnot-base64!\n\n${honest.checkpoint(3)}`))).toMatchObject({ status: 400 });
    expect(await refusal(addCheckpoint(w, `old 0\n${'AAAA\n'}\n${honest.checkpoint(3)}`))).toMatchObject({ status: 400 });
    const tooMany = `old 3\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${honest.checkpoint(8)}`;
    expect(await refusal(addCheckpoint(w, tooMany))).toBeInstanceOf(MalformedRequestError);
    expect(await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 9, proof: [], checkpoint: honest.checkpoint(8) })))).toBeInstanceOf(OldSizeInvalidError);
  });

  it('409 with the latest cosigned size when the old size is not it (a stale or forked client)', async () => {
    await addCheckpoint(w, honest.request(0, 8));
    const stale = await refusal(addCheckpoint(w, honest.request(3, 13)));
    expect(stale).toBeInstanceOf(CheckpointStaleError);
    expect((stale as CheckpointStaleError).latestSize).toBe(8);
    expect(stale.evidence).toBeUndefined();
  });

  it('size may not go backwards', async () => {
    await addCheckpoint(w, honest.request(0, 8));
    // honest about its old size, the request is a 400; lying about it, a 409: never a cosignature
    expect((await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 8, proof: [], checkpoint: honest.checkpoint(5) })))).status).toBe(400);
    expect((await refusal(addCheckpoint(w, honest.request(3, 5)))).status).toBe(409);
  });

  it('422 for a bad consistency proof, a proof from size 0, and a size-0 checkpoint with a non-empty root', async () => {
    await addCheckpoint(w, honest.request(0, 8));
    const good = honest.proof(8, 13);
    const bad = good.map((h, i) => (i === 0 ? Buffer.from(h).fill(7) : h));
    const err = await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 8, proof: bad, checkpoint: honest.checkpoint(13) })));
    expect(err).toBeInstanceOf(InvalidProofError);
    expect(err.status).toBe(422);
    // an inconsistent tree at a larger size: the honest proof does not reach the forked root
    expect(await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 8, proof: good, checkpoint: forked.checkpoint(13) })))).toBeInstanceOf(InvalidProofError);
    const fresh = witnessOn(new MemoryWitnessStore());
    expect(await refusal(addCheckpoint(fresh, formatAddCheckpointRequest({ oldSize: 0, proof: honest.proof(3, 8), checkpoint: honest.checkpoint(8) })))).toBeInstanceOf(InvalidProofError);
    const zero = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: Buffer.alloc(32, 1), extensions: [] }, [logSigner]);
    expect(await refusal(addCheckpoint(fresh, `old 0\n\n${zero}`))).toBeInstanceOf(EmptyTreeRootError);
    // the evidence of an unproven extension is kept as a lead, labelled as such
    const kept = await listEvidence(w.store, ORIGIN);
    expect(kept.map((e) => e.kind)).toEqual(['bad-consistency-proof', 'bad-consistency-proof']);
    expect(verifyEvidence(kept[0], [logVerifier]).proven).toBe(false);
  });

  it('a split view (same size, another root) is refused and both signed notes are kept as proof', async () => {
    await addCheckpoint(w, honest.request(0, 5));
    await addCheckpoint(w, honest.request(5, 13));
    // the fork at size 13, submitted from the size the forked client last saw: 409 per the spec…
    const fromOld = await refusal(addCheckpoint(w, forked.request(5, 13)));
    expect(fromOld).toBeInstanceOf(CheckpointStaleError);
    expect(fromOld.evidence).toBe('same-size-different-root');
    // …and from the witness's own size: the roots differ, 422
    const sameSize = await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 13, proof: [], checkpoint: forked.checkpoint(13) })));
    expect(sameSize).toBeInstanceOf(RootMismatchError);
    expect(sameSize.status).toBe(422);
    const kept = await listEvidence(w.store);
    expect(kept).toHaveLength(1); // the same forked checkpoint twice is one piece of evidence
    expect(kept[0]).toMatchObject({ kind: 'same-size-different-root', origin: ORIGIN, presentedNote: forked.checkpoint(13), oldSize: 5 });
    expect(verifyEvidence(kept[0], [logVerifier])).toEqual({ proven: true, size: 13, roots: [rootHash(honest.leaves.slice(0, 13)).toString('base64'), rootHash(forked.leaves.slice(0, 13)).toString('base64')] });
    // and the witness stays on the honest branch
    expect((await addCheckpoint(w, honest.request(13, 21))).checkpoint.size).toBe(21);
    // evidence does not verify under another key: it proves nothing about a log it was not signed by
    expect(verifyEvidence(kept[0], [ed25519Verifier(ORIGIN, generateKeyPair(ORIGIN, SIG_ED25519).publicKey)]).proven).toBe(false);
  });

  it('the check and the write are atomic: of two racing requests from one old size, exactly one is cosigned', async () => {
    await addCheckpoint(w, honest.request(0, 8));
    const results = await Promise.allSettled([addCheckpoint(w, honest.request(8, 13)), addCheckpoint(w, honest.request(8, 21))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointStaleError);
  });

  it('cosignature timestamps never go backwards with the clock', async () => {
    clock = 2_000_000_000;
    await addCheckpoint(w, honest.request(0, 3));
    clock -= 1000;
    const res = await addCheckpoint(w, honest.request(3, 8));
    expect(verifyCosignatures(res.note, [witnessVerifier])[0].timestamp).toBe(2_000_000_000);
  });

  it('property: over any sequence of requests, every cosigned checkpoint is consistent with the previous one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: 64 }), fc.nat({ max: 64 }), fc.boolean()), { maxLength: 12 }), async (steps) => {
        const ww = witnessOn(new MemoryWitnessStore());
        let size = 0;
        let branch: 'honest' | 'forked' | undefined;
        for (const [a, b, fork] of steps) {
          const [from, to] = [Math.min(a, b), Math.max(a, b)];
          const l = fork ? forked : honest;
          try {
            const res = await addCheckpoint(ww, formatAddCheckpointRequest({ oldSize: from, proof: l.proof(from, to), checkpoint: l.checkpoint(to) }));
            expect(from).toBe(size);
            expect(res.checkpoint.size).toBeGreaterThanOrEqual(size);
            size = res.checkpoint.size;
            // the two histories agree up to size 5: past it, once one branch is cosigned the other never is
            if (size > 5) {
              branch ??= fork ? 'forked' : 'honest';
              expect(fork ? 'forked' : 'honest').toBe(branch);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(WitnessError);
          }
        }
        for (const e of await listEvidence(ww.store)) if (e.kind === 'same-size-different-root') expect(verifyEvidence(e, [logVerifier]).proven).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps every conclusive record but only the latest 16 leads per log', async () => {
    await addCheckpoint(w, honest.request(0, 8));
    for (let to = 9; to <= 30; to++) {
      await refusal(addCheckpoint(w, formatAddCheckpointRequest({ oldSize: 8, proof: [Buffer.alloc(32, to)], checkpoint: honest.checkpoint(to) })));
    }
    const kept = await listEvidence(w.store);
    expect(kept).toHaveLength(MAX_UNPROVEN_EVIDENCE_PER_LOG);
    expect(parseCheckpoint(parseNote(kept[kept.length - 1].presentedNote).text).size).toBe(30);
  });

  it('refuses to cosign with a clock that reads 0 (a cosignature must carry a timestamp)', async () => {
    const stopped = { ...w, now: () => 0 };
    await expect(addCheckpoint(stopped, honest.request(0, 3))).rejects.toThrow('clock reads 0');
    expect(await w.store.get(ORIGIN)).toBeUndefined();
  });

  it('request bodies round-trip, including the spec example', () => {
    const body = formatAddCheckpointRequest({ oldSize: 8, proof: honest.proof(8, 13), checkpoint: honest.checkpoint(13) });
    const req = parseAddCheckpointRequest(body);
    expect(req.oldSize).toBe(8);
    expect(req.proof.map((h) => h.toString('hex'))).toEqual(honest.proof(8, 13).map((h) => Buffer.from(h).toString('hex')));
    expect(formatAddCheckpointRequest(req)).toBe(body);
    const spec = parseAddCheckpointRequest(
      'old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n',
    );
    expect(spec).toMatchObject({ oldSize: 20852014 });
    expect(spec.proof).toHaveLength(4);
    expect(spec.checkpoint.startsWith('example.com/behind-the-sofa\n20852163\n')).toBe(true);
  });
});

describe('a witness restart (file state)', () => {
  it('keeps the latest cosigned checkpoint and the evidence: the fork is still refused after restart', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'witness-'));
    let store = await FileWitnessStore.open(dir);
    await addCheckpoint(witnessOn(store), honest.request(0, 5));
    await addCheckpoint(witnessOn(store), honest.request(5, 13));
    await refusal(addCheckpoint(witnessOn(store), forked.request(5, 13)));
    await store.close();

    store = await FileWitnessStore.open(dir);
    const w = witnessOn(store);
    // TOFU must not happen again: the witness remembers size 13
    expect(((await refusal(addCheckpoint(w, forked.request(0, 13)))) as CheckpointStaleError).latestSize).toBe(13);
    expect(await listEvidence(store)).toEqual([expect.objectContaining({ kind: 'same-size-different-root' })]);
    expect((await addCheckpoint(w, honest.request(13, 21))).checkpoint.size).toBe(21);
    await store.close();
    await fs.rm(dir, { recursive: true });
  });
});
