import type { Evidence } from './evidence';
import type { LogRecord, WitnessStore } from './store';

/**
 * The one conformance suite every WitnessStore backend must pass (run from store.spec.ts).
 * `open` gives a fresh store; `reopen` closes a store and opens the same state again (a restart).
 */
export function witnessStoreConformance(backend: string, harness: { open(): Promise<WitnessStore>; reopen(store: WitnessStore): Promise<WitnessStore> }) {
  const record = (origin: string, size: number): LogRecord => ({
    origin,
    latest: { size, rootHash: Buffer.alloc(32, size).toString('base64'), note: `${origin}\n${size}\n…\n`, cosignedAt: 1_700_000_000 + size },
    evidence: [],
  });

  describe(`WitnessStore conformance: ${backend}`, () => {
    let store: WitnessStore;
    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty: update sees undefined, get gives undefined, no origins', async () => {
      expect(await store.update('example.org/log', (cur) => ({ result: cur }))).toBeUndefined();
      expect(await store.get('example.org/log')).toBeUndefined();
      expect(await store.origins()).toEqual([]);
    });

    it('writes what the closure returns and returns its result', async () => {
      expect(await store.update('example.org/log', () => ({ next: record('example.org/log', 3), result: 'ok' }))).toBe('ok');
      expect(await store.get('example.org/log')).toEqual(record('example.org/log', 3));
      expect(await store.update('example.org/log', (cur) => ({ result: cur?.latest?.size }))).toBe(3);
    });

    it('writes nothing when the closure returns no record or throws', async () => {
      await store.update('example.org/log', () => ({ next: record('example.org/log', 3), result: null }));
      await store.update('example.org/log', () => ({ result: null }));
      await expect(
        store.update('example.org/log', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect((await store.get('example.org/log'))?.latest?.size).toBe(3);
    });

    it('refuses a record stored under another origin', async () => {
      await expect(store.update('example.org/a', () => ({ next: record('example.org/b', 1), result: null }))).rejects.toThrow('origin');
      expect(await store.get('example.org/a')).toBeUndefined();
    });

    it('serialises concurrent updates of one origin (no lost update), and keeps origins apart', async () => {
      const bump = (origin: string) =>
        store.update(origin, (cur) => {
          const size = (cur?.latest?.size ?? 0) + 1;
          return { next: record(origin, size), result: size };
        });
      const results = await Promise.all([...Array(40)].flatMap(() => [bump('example.org/a'), bump('example.org/b')]));
      expect(results.filter((_, i) => i % 2 === 0).sort((x, y) => x - y)).toEqual([...Array(40)].map((_, i) => i + 1));
      expect((await store.get('example.org/a'))?.latest?.size).toBe(40);
      expect((await store.get('example.org/b'))?.latest?.size).toBe(40);
      expect(await store.origins()).toEqual(['example.org/a', 'example.org/b']);
    });

    it('hands out copies: mutating what it returned changes nothing stored', async () => {
      await store.update('example.org/log', () => ({ next: record('example.org/log', 3), result: null }));
      const got = (await store.get('example.org/log'))!;
      got.latest!.size = 99;
      got.evidence.push({} as Evidence);
      await store.update('example.org/log', (cur) => {
        cur!.latest!.size = 77;
        return { result: null };
      });
      expect(await store.get('example.org/log')).toEqual(record('example.org/log', 3));
    });

    it('keeps any origin string apart (spaces, slashes, unicode, look-alikes)', async () => {
      const origins = ['a b/c', 'a b/c ', 'québec.ca/journal', '../../etc/passwd', 'x'.repeat(300)];
      for (const [i, o] of origins.entries()) await store.update(o, () => ({ next: record(o, i + 1), result: null }));
      for (const [i, o] of origins.entries()) expect((await store.get(o))?.latest?.size).toBe(i + 1);
      expect(await store.origins()).toEqual([...origins].sort());
    });

    it('keeps the latest record and the evidence across a restart', async () => {
      const evidence: Evidence = { kind: 'same-size-different-root', origin: 'example.org/log', cosignedNote: 'a', presentedNote: 'b', oldSize: 1, proof: [], observedAt: 5 };
      await store.update('example.org/log', () => ({ next: { ...record('example.org/log', 8), evidence: [evidence] }, result: null }));
      store = await harness.reopen(store);
      expect(await store.get('example.org/log')).toEqual({ ...record('example.org/log', 8), evidence: [evidence] });
    });
  });
}
