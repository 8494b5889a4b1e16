import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { CompactRange } from './compact-range';
import { leafHash, type Hash } from './hash';
import { consistencyProof, rootHash } from './reference';
import { LedgerVerifier, type ConsistencyFetcher } from './verifier';

const entryText = (seq: number) => canonicalize({ seq, agency: 'qc.mifi', decision: seq % 3 ? 'PERMIT' : 'DENY', subjects: [], fields: ['province'] });

/** A log as the server holds it: the original texts, and proofs over the ORIGINAL leaves. */
function serverLog(n: number) {
  const texts = Array.from({ length: n }, (_, i) => entryText(i));
  const leaves: Hash[] = texts.map((t) => leafHash(t));
  let proofCalls = 0;
  const prove: ConsistencyFetcher = async (first, second) => {
    proofCalls++;
    return consistencyProof(first, leaves.slice(0, second));
  };
  const head = (size = n) => ({ treeSize: size, rootHash: rootHash(leaves.slice(0, size)) });
  return { texts, leaves, prove, head, proofCalls: () => proofCalls };
}

describe('LedgerVerifier', () => {
  it('accepts an untouched log and returns a state that resumes to the same root', async () => {
    const log = serverLog(2500);
    const v = new LedgerVerifier();
    log.texts.slice(0, 1000).forEach((t, i) => v.push(i, t));
    const first = await v.finish(log.head(1000), log.prove);
    expect(first).toMatchObject({ ok: true, verifiedEntries: 1000 });
    if (!first.ok) throw new Error('unreachable');

    const resumed = new LedgerVerifier(first.state);
    expect(resumed.startSize).toBe(1000);
    log.texts.slice(1000).forEach((t, i) => resumed.push(1000 + i, t));
    const second = await resumed.finish(log.head(), log.prove);
    expect(second).toMatchObject({ ok: true, verifiedEntries: 1500 });
    if (second.ok) expect(second.state.rootHash).toBe(log.head().rootHash.toString('base64url'));
  });

  it('names the first tampered seq, whichever entries are altered (property)', async () => {
    const n = 700;
    const log = serverLog(n);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 650 }), async (bad, resumeAt) => {
        const first = Math.min(...bad);
        const start = Math.min(resumeAt, first);
        const state = start === 0 ? undefined : stateOf(log.leaves.slice(0, start));
        const v = new LedgerVerifier(state);
        for (let i = start; i < n; i++) {
          // A tamper that keeps the text canonical and its seq right: only the hash can tell.
          v.push(i, bad.includes(i) ? log.texts[i].replace('qc.mifi', 'ca.ircc') : log.texts[i]);
        }
        const result = await v.finish(log.head(), log.prove);
        expect(result).toEqual({ ok: false, check: 'entry', seq: first, message: `tampered entry at seq ${first}: its leaf hash does not match the signed tree` });
      }),
      { numRuns: 60 },
    );
  });

  it('pins an entry with a wrong seq field with few proof requests, and an earlier silent tamper before it', async () => {
    const log = serverLog(5000);
    const v = new LedgerVerifier();
    log.texts.forEach((t, i) => v.push(i, i === 4321 ? t.replace('"seq":4321', '"seq":4322') : t));
    const result = await v.finish(log.head(), log.prove);
    expect(result).toMatchObject({ ok: false, seq: 4321, message: 'tampered entry at seq 4321: its seq field is not 4321' });
    expect(log.proofCalls()).toBeLessThanOrEqual(2);

    const w = new LedgerVerifier();
    log.texts.forEach((t, i) => w.push(i, i === 4321 ? '{"seq":"x"}' : i === 17 ? t.replace('PERMIT', 'DENY') : t));
    expect(await w.finish(log.head(), log.prove)).toMatchObject({ ok: false, seq: 17 });
  });

  it('names an entry whose text differs only in form (whitespace)', async () => {
    const log = serverLog(300);
    const v = new LedgerVerifier();
    log.texts.forEach((t, i) => v.push(i, i === 250 ? t.replace('{', '{ ') : t));
    expect(await v.finish(log.head(), log.prove)).toMatchObject({ ok: false, seq: 250, message: 'tampered entry at seq 250: its leaf hash does not match the signed tree' });
  });

  it('refuses a head that does not extend the saved one, a shrunk log, and a short delivery', async () => {
    const log = serverLog(50);
    const other = serverLog(60);
    other.leaves[3] = leafHash('rewritten history');
    const saved = stateOf(log.leaves.slice(0, 20));

    const forked = new LedgerVerifier(saved);
    for (let i = 20; i < 60; i++) forked.push(i, log.texts[i] ?? entryText(i));
    const forkHead = { treeSize: 60, rootHash: rootHash(other.leaves) };
    const r1 = await forked.finish(forkHead, async (a, b) => consistencyProof(a, other.leaves.slice(0, b)));
    expect(r1).toMatchObject({ ok: false, check: 'consistency', message: expect.stringContaining('does not extend the verified head of size 20') });

    expect(await new LedgerVerifier(saved).finish(log.head(10), log.prove)).toMatchObject({ ok: false, check: 'consistency', message: expect.stringContaining('the log shrank') });

    const short = new LedgerVerifier(saved);
    for (let i = 20; i < 30; i++) short.push(i, log.texts[i]);
    expect(await short.finish(log.head(), log.prove)).toMatchObject({ ok: false, check: 'count', message: 'the signed tree head has 50 entries but 30 were received' });
  });

  it('refuses entries out of order and a corrupt saved state', () => {
    const v = new LedgerVerifier();
    expect(() => v.push(1, entryText(1))).toThrow('entries out of order: expected seq 0, got 1');
    const state = stateOf([leafHash('a'), leafHash('b'), leafHash('c')]);
    expect(() => new LedgerVerifier({ ...state, rootHash: leafHash('x').toString('base64url') })).toThrow('saved state is corrupt');
  });
});

function stateOf(leaves: Hash[]) {
  const r = CompactRange.empty();
  leaves.forEach((l) => r.append(l));
  return { treeSize: r.size, rootHash: r.root().toString('base64url'), peaks: r.getPeaks().map((p) => p.toString('base64url')) };
}
