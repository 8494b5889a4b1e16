import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { CompactRange } from './compact-range';
import { leafHash, type Hash } from './hash';
import { ChunkedLedgerVerifier, defaultVerifyWorkers, leafInputs, SpareBuffers, THREADS_MIN_ENTRIES, TWO_CORES_THREAD_MIN_ENTRIES } from './chunked';
import { consistencyProof, rootHash } from './reference';
import { LedgerVerifier, type ConsistencyFetcher, type VerificationResult, type VerifierState } from './verifier';

// Some entries carry non-ASCII text: threads hash UTF-8 bytes, the pure verifier strings.
const entryText = (seq: number) =>
  canonicalize({ seq, agency: 'qc.mifi', decision: seq % 3 ? 'PERMIT' : 'DENY', subjects: [], fields: ['province'], note: seq % 4 ? 'ok' : 'Trois-Rivières — 🍁' });

function serverLog(n: number) {
  const texts = Array.from({ length: n }, (_, i) => entryText(i));
  const leaves: Hash[] = texts.map((t) => leafHash(t));
  const prove: ConsistencyFetcher = async (first, second) => consistencyProof(first, leaves.slice(0, second));
  const head = (size = n) => ({ treeSize: size, rootHash: rootHash(leaves.slice(0, size)) });
  return { texts, leaves, prove, head };
}

function stateOf(leaves: Hash[]): VerifierState | undefined {
  if (!leaves.length) return undefined;
  const r = CompactRange.empty();
  leaves.forEach((l) => r.push(l));
  return { treeSize: r.size, rootHash: r.root().toString('base64url'), peaks: r.getPeaks().map((p) => p.toString('base64url')) };
}

/** The same entries through the pure verifier and in chunks, by `workers` threads and this one (small chunks, pages of `page`). */
async function both(texts: string[], from: number, state: VerifierState | undefined, head: { treeSize: number; rootHash: Hash }, prove: ConsistencyFetcher, opts: { workers: number; chunk: number; page: number; mainThreadHashes?: boolean }) {
  const pure = new LedgerVerifier(state);
  for (let i = from; i < texts.length; i++) pure.push(i, texts[i]);
  const expected = await pure.finish(head, prove);
  const par = new ChunkedLedgerVerifier(state, { workers: opts.workers, chunk: opts.chunk, mainThreadHashes: opts.mainThreadHashes });
  let actual: VerificationResult;
  try {
    for (let i = from; i < texts.length; i++) {
      par.push(i, texts[i]);
      if ((i + 1 - from) % opts.page === 0) await par.drain();
    }
    actual = await par.finish(head, prove);
  } finally {
    await par.close();
  }
  return { expected, actual };
}

describe('CompactRange.pushSubtree', () => {
  it('gives the same peaks as pushing the leaves one by one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 300 }), (start, count) => {
        const leaves = Array.from({ length: start + count }, (_, i) => leafHash(`leaf ${i}`));
        const one = CompactRange.empty();
        leaves.forEach((l) => one.push(l));
        const sub = CompactRange.empty();
        leaves.slice(0, start).forEach((l) => sub.push(l));
        for (let s = start; s < start + count; ) {
          let size = 1;
          while (s % (size * 2) === 0 && s + size * 2 <= start + count) size *= 2;
          sub.pushSubtree(Math.log2(size), rootHash(leaves.slice(s, s + size)));
          s += size;
        }
        expect(sub.size).toBe(one.size);
        expect(sub.getPeaks()).toEqual(one.getPeaks());
      }),
      { numRuns: 200 },
    );
    const r = CompactRange.empty();
    r.push(leafHash('a'));
    expect(() => r.pushSubtree(1, leafHash('b'))).toThrow('cannot be appended at tree size 1');
  });
});

describe('ChunkedLedgerVerifier', () => {
  it('lays texts out as leaf inputs: 0x00 then the UTF-8 of each, ending where `ends` says (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 20 }), (texts) => {
        const { bytes, ends } = leafInputs(texts);
        expect(ends.length).toBe(texts.length);
        texts.forEach((t, i) => {
          const leaf = Buffer.from(bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
          expect(leaf.equals(Buffer.concat([Buffer.from([0]), Buffer.from(t, 'utf8')]))).toBe(true);
        });
        expect(bytes.byteLength).toBe(texts.length ? ends[ends.length - 1] : 0);
      }),
    );
  });

  it('fills a spare buffer again when it is large enough, and never hands out one too small', () => {
    const spare = new SpareBuffers(2);
    const first = spare.take(1000);
    expect(first.byteLength).toBeGreaterThanOrEqual(1000);
    spare.give(first);
    expect(spare.take(1100)).toBe(first); // made 1/8 larger than first asked
    spare.give(first);
    const bigger = spare.take(5000);
    expect(bigger).not.toBe(first);
    expect(bigger.byteLength).toBeGreaterThanOrEqual(5000);
    const { bytes } = leafInputs(['x'.repeat(900)], spare);
    expect(bytes.buffer).toBe(first);
    expect(bytes.byteLength).toBe(901);
    spare.give(new ArrayBuffer(10));
    spare.give(new ArrayBuffer(10));
    spare.give(new ArrayBuffer(10)); // beyond what it keeps
    expect([spare.take(10), spare.take(10), spare.take(10)].filter((b) => b.byteLength === 10)).toHaveLength(2);
  });

  it('accepts a clean log with the same state as the pure verifier, fresh and resumed at unaligned sizes', async () => {
    const log = serverLog(3000);
    for (const mainThreadHashes of [true, false]) {
      for (const [from, chunk, workers] of [[0, 256, 2], [777, 100, 2], [1025, 4096, 1], [2999, 64, 2], [0, 32, 1], [0, 256, 0], [777, 100, 0], [2999, 64, 0]]) {
        if (workers === 0 && !mainThreadHashes) continue;
        const { expected, actual } = await both(log.texts, from, stateOf(log.leaves.slice(0, from)), log.head(), log.prove, { workers, chunk, page: 1000, mainThreadHashes });
        expect(expected).toMatchObject({ ok: true, verifiedEntries: 3000 - from });
        expect(actual).toEqual(expected);
      }
    }
  });

  it('hashes chunks in the main thread while the threads are busy, with the threads’ results', async () => {
    // One thread, pages of 3,000 entries and chunks of 100: 30 chunks queued before the thread
    // is even up, so the main thread takes most of them.
    const log = serverLog(3000);
    const { expected, actual } = await both(log.texts, 0, undefined, log.head(), log.prove, { workers: 1, chunk: 100, page: 3000 });
    expect(actual).toEqual(expected);
    const tampered = log.texts.map((t, i) => (i === 2500 ? t.replace(`"seq":${i}`, `"seq":${i + 1}`) : t));
    const bad = await both(tampered, 0, undefined, log.head(), log.prove, { workers: 1, chunk: 100, page: 3000 });
    expect(bad.actual).toEqual(bad.expected);
    expect(bad.actual).toMatchObject({ ok: false, check: 'entry', seq: 2500 });
  });

  it('names the same first tampered seq as the pure verifier (property)', async () => {
    const n = 1500;
    const log = serverLog(n);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 1400 }),
        // the seq field forged as another number, a longer one, a shorter one (the threads test it on bytes)
        fc.constantFrom('hash', 'seq', 'seq-longer', 'seq-shorter'),
        fc.constantFrom(16, 100, 512),
        async (bad, resumeAt, kind, chunk) => {
          const first = Math.min(...bad);
          const start = Math.min(resumeAt, first);
          const forged = (i: number) => ({ seq: `"seq":${i + 1}`, 'seq-longer': `"seq":${i}7`, 'seq-shorter': `"seq":${String(i).slice(0, -1)}` })[kind as 'seq'];
          const texts = log.texts.map((t, i) => (!bad.includes(i) ? t : kind === 'hash' ? t.replace('qc.mifi', 'ca.ircc') : t.replace(`"seq":${i}`, forged(i))));
          for (const workers of [0, 2]) {
            const { expected, actual } = await both(texts, start, stateOf(log.leaves.slice(0, start)), log.head(), log.prove, { workers, chunk, page: 300 });
            expect(expected).toMatchObject({ ok: false, check: 'entry', seq: first });
            expect(actual).toEqual(expected);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reports short deliveries and refuses entries out of order, like the pure verifier', async () => {
    const log = serverLog(600);
    const { expected, actual } = await both(log.texts.slice(0, 450), 0, undefined, log.head(), log.prove, { workers: 2, chunk: 128, page: 100 });
    expect(actual).toEqual(expected);
    expect(actual).toMatchObject({ ok: false, check: 'count', message: 'the signed tree head has 600 entries but 450 were received' });
    for (const workers of [0, 1]) {
      const par = new ChunkedLedgerVerifier(undefined, { workers });
      try {
        expect(() => par.push(1, log.texts[1])).toThrow('entries out of order: expected seq 0, got 1');
      } finally {
        await par.close();
      }
    }
    expect(() => new ChunkedLedgerVerifier(undefined, { workers: 0, mainThreadHashes: false })).toThrow('without hashing threads the main thread must hash');
    expect(() => new ChunkedLedgerVerifier(undefined, { workers: -1 })).toThrow('workers must be a whole number ≥ 0, got -1');
  });
});

describe('defaultVerifyWorkers', () => {
  it('uses threads (one per core but one: the main thread hashes too) only for runs large enough to pay for them', () => {
    expect(defaultVerifyWorkers(1_000_000, 1)).toBe(0);
    expect(defaultVerifyWorkers(1_000_000, 3)).toBe(2);
    expect(defaultVerifyWorkers(1_000_000, 4)).toBe(3);
    expect(defaultVerifyWorkers(THREADS_MIN_ENTRIES - 1, 8)).toBe(0);
    expect(defaultVerifyWorkers(THREADS_MIN_ENTRIES, 8)).toBe(7);
    // two cores: threads of one process contend in OpenSSL, so only a long run pays for one
    expect(defaultVerifyWorkers(100_000, 2)).toBe(0);
    expect(defaultVerifyWorkers(TWO_CORES_THREAD_MIN_ENTRIES - 1, 2)).toBe(0);
    expect(defaultVerifyWorkers(TWO_CORES_THREAD_MIN_ENTRIES, 2)).toBe(1);
  });
});
