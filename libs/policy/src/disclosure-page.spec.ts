import fc from 'fast-check';
import { walkPage, type WalkedPage } from './disclosure-page';

interface Row {
  key: number;
  visible: boolean;
  value: number;
}

/** Walks every page of `rows` (sorted by key) for a caller who sees `visible` rows with value ≥ min. */
async function walkAll(rows: Row[], size: number, batch: number, maxRows: number, min: number, maxBatch = batch) {
  const pages: Array<{ nodes: number[]; hasNextPage: boolean }> = [];
  let after: number | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page: WalkedPage<number, number> = await walkPage<Row, number, number>({
      size,
      batch,
      maxBatch,
      maxRows,
      after,
      scan: async (pos, limit) => rows.filter((r) => pos === null || r.key > pos).slice(0, limit),
      positionOf: (r) => r.key,
      keep: async (batchRows) => batchRows.filter((r) => r.visible && r.value >= min).map((row) => ({ row, node: row.key })),
    });
    pages.push({ nodes: page.nodes, hasNextPage: page.hasNextPage });
    if (!page.hasNextPage) return pages;
    after = page.endPosition;
  }
  throw new Error('walk did not end');
}

const rowsArb = fc
  .array(fc.record({ visible: fc.boolean(), value: fc.integer({ min: 1, max: 12 }) }), { maxLength: 60 })
  .map((xs) => xs.map((x, i) => ({ key: i * 2, ...x })));

describe('walkPage: consent before paging', () => {
  it('pages, hasNextPage and ends are those of a world without the hidden rows (bound not reached)', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), async (rows, size, batch, min, growth) => {
        const withHidden = await walkAll(rows, size, batch, 1_000, min, batch * growth);
        const withoutHidden = await walkAll(rows.filter((r) => r.visible), size, batch, 1_000, min, batch * growth);
        expect(withHidden).toEqual(withoutHidden);
        // Every page full but the last; every visible match exactly once, in key order.
        const expected = rows.filter((r) => r.visible && r.value >= min).map((r) => r.key);
        expect(withHidden.flatMap((p) => p.nodes)).toEqual(expected);
        withHidden.slice(0, -1).forEach((p) => expect(p.nodes).toHaveLength(size));
      }),
    );
  });

  it('a hidden row never decides hasNextPage: one visible row and a hidden one after it is one page', async () => {
    const rows = [
      { key: 1, visible: true, value: 6 },
      { key: 2, visible: false, value: 9 },
    ];
    expect(await walkAll(rows, 1, 5, 100, 1)).toEqual([{ nodes: [1], hasNextPage: false }]);
  });

  it('stops at the scan bound with hasNextPage and resumes after the last row read, losing nothing', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ key: i, visible: i === 25, value: 5 }));
    const first = await walkPage<Row, number, number>({
      size: 1,
      batch: 4,
      maxRows: 8,
      after: null,
      scan: async (pos, limit) => rows.filter((r) => pos === null || r.key > pos).slice(0, limit),
      positionOf: (r) => r.key,
      keep: async (b) => b.filter((r) => r.visible).map((row) => ({ row, node: row.key })),
    });
    expect(first).toEqual({ nodes: [], hasNextPage: true, endPosition: 7, rowsRead: 8 });
    expect((await walkAll(rows, 1, 4, 8, 1)).flatMap((p) => p.nodes)).toEqual([25]);
  });

  it('refuses a bound smaller than a batch', async () => {
    await expect(walkPage({ size: 1, batch: 10, maxRows: 5, after: null, scan: async () => [], positionOf: () => 0, keep: async () => [] })).rejects.toThrow(/batch/);
  });
});
