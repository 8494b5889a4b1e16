import type { DataSource } from 'typeorm';
import type { Logger } from '@passerelle/logger';
import { ReplayStore } from './replay-store';

/** A fake of the two replay statements over an in-memory table (expiry ignored: nothing expires). */
function fakeDataSource(opts: { failBatch?: boolean } = {}) {
  const table = new Set<string>();
  const calls: Array<{ batch: boolean; size: number }> = [];
  const query = async (sql: string, params: unknown[]) => {
    if (sql.includes('unnest')) {
      const [agencies, jtis] = params as [string[], string[]];
      calls.push({ batch: true, size: agencies.length });
      if (opts.failBatch) throw new Error('batch failed');
      const keys = agencies.map((a, i) => `${a}|${jtis[i]}`);
      if (new Set(keys).size !== keys.length) throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
      const out: Array<{ agency: string; jti: string }> = [];
      keys.forEach((k, i) => {
        if (!table.has(k)) {
          table.add(k);
          out.push({ agency: agencies[i], jti: jtis[i] });
        }
      });
      return out;
    }
    const [agency, jti] = params as [string, string];
    calls.push({ batch: false, size: 1 });
    const k = `${agency}|${jti}`;
    if (jti === 'failing-jti-0000000') throw new Error('row failed');
    if (table.has(k)) return [];
    table.add(k);
    return [1];
  };
  return { ds: { query } as unknown as DataSource, calls, table };
}

const logger = { debug: () => undefined, warn: () => undefined } as unknown as Logger;
const exp = 2_000_000_000;

describe('ReplayStore', () => {
  it('checks concurrent requests in one statement; a jti twice wins once', async () => {
    const { ds, calls } = fakeDataSource();
    const store = new ReplayStore(ds, logger);
    const results = await Promise.all([
      store.firstUse('ca.esdc', 'jti-aaaaaaaaaaaaaaaa', exp, Date.now()),
      store.firstUse('ca.esdc', 'jti-bbbbbbbbbbbbbbbb', exp, Date.now()),
      store.firstUse('ca.esdc', 'jti-aaaaaaaaaaaaaaaa', exp, Date.now()),
      store.firstUse('qc.mifi', 'jti-aaaaaaaaaaaaaaaa', exp, Date.now()),
    ]);
    expect(results).toEqual([true, true, false, true]);
    expect(calls).toEqual([{ batch: true, size: 3 }]);
    expect(await store.firstUse('ca.esdc', 'jti-bbbbbbbbbbbbbbbb', exp, Date.now())).toBe(false);
  });

  it('falls back to one statement per request when the batch fails, keeping each failure with its request', async () => {
    const { ds, calls } = fakeDataSource({ failBatch: true });
    const store = new ReplayStore(ds, logger);
    const results = await Promise.allSettled([
      store.firstUse('ca.esdc', 'jti-cccccccccccccccc', exp, Date.now()),
      store.firstUse('ca.esdc', 'failing-jti-0000000', exp, Date.now()),
      store.firstUse('ca.esdc', 'jti-cccccccccccccccc', exp, Date.now()),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: true });
    expect(results[1].status).toBe('rejected');
    expect(results[2]).toEqual({ status: 'fulfilled', value: false });
    expect(calls.filter((c) => c.batch)).toHaveLength(1);
  });
});
