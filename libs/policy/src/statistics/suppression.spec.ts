import fc from 'fast-check';
import { determinedUnknowns } from '@passerelle/testing';
import { findBridge, isPrimary, MIN_PUBLISHED, protectOneWay, protectTwoWay } from './suppression';
import { protectedOneWay, protectedSlice, type GroupCount } from './statistics';

/**
 * An independent check of the protection: the suppressed values (interior cells and margins)
 * as unknowns, every additivity relation an attacker knows (rows, columns, margin row and
 * column sum to their totals; the grand total is public) as equations, and Gaussian
 * elimination to see whether an unknown is determined uniquely (its unit vector lies in the
 * row space of the equations).
 */
function determinedCells(counts: number[][], rowM: boolean[], colM: boolean[], interior: boolean[][]): string[] {
  const R = counts.length;
  const C = colM.length;
  const unknowns: string[] = [];
  const index = new Map<string, number>();
  const add = (k: string) => index.set(k, unknowns.push(k) - 1);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) if (interior[i][j]) add(`${i},${j}`);
  for (let i = 0; i < R; i++) if (rowM[i]) add(`${i},M`);
  for (let j = 0; j < C; j++) if (colM[j]) add(`M,${j}`);
  const eqs: number[][] = [];
  const eq = (terms: string[], margin: string | null) => {
    const row = new Array(unknowns.length).fill(0);
    for (const t of terms) if (index.has(t)) row[index.get(t)!] += 1;
    if (margin && index.has(margin)) row[index.get(margin)!] -= 1;
    eqs.push(row);
  };
  for (let i = 0; i < R; i++) eq(Array.from({ length: C }, (_, j) => `${i},${j}`), `${i},M`);
  for (let j = 0; j < C; j++) eq(Array.from({ length: R }, (_, i) => `${i},${j}`), `M,${j}`);
  eq(Array.from({ length: R }, (_, i) => `${i},M`), null);
  eq(Array.from({ length: C }, (_, j) => `M,${j}`), null);
  const determined = new Set(determinedUnknowns(eqs, unknowns.length));
  return unknowns.filter((_, u) => determined.has(u));
}

const smallCount = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 60 }));
const table = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
  .chain(([r, c]) => fc.array(fc.array(smallCount, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }));

function protect(counts: number[][]) {
  const R = counts.length;
  const C = counts[0].length;
  const rowM = protectOneWay(counts.map((row, i) => [String(i), row.reduce((s, n) => s + n, 0)] as [string, number])).map((c) => c.suppressed);
  const colM = protectOneWay(Array.from({ length: C }, (_, j) => [String(j), counts.reduce((s, row) => s + row[j], 0)] as [string, number])).map((c) => c.suppressed);
  return { R, C, rowM, colM, ...protectTwoWay({ counts, rowMarginSuppressed: rowM, colMarginSuppressed: colM }) };
}

describe('protectOneWay', () => {
  it('suppresses 1–9, never publishes exactly one suppressed cell, leaves zeros alone', () => {
    fc.assert(
      fc.property(fc.array(smallCount, { minLength: 1, maxLength: 12 }), (counts) => {
        const cells = protectOneWay(counts.map((n, i) => [String(i), n] as [string, number]));
        for (const c of cells) {
          if (isPrimary(c.count)) expect(c.suppressed).toBe(true);
          if (c.count === 0) expect(c.suppressed).toBe(false);
        }
        const s = cells.filter((c) => c.suppressed).length;
        const nonZero = counts.filter((n) => n > 0).length;
        if (nonZero >= 2) expect(s).not.toBe(1);
      }),
    );
  });

  it('adds the smallest published cell as the complement', () => {
    const cells = protectOneWay([['a', 40], ['b', 3], ['c', 12], ['d', 25]]);
    expect(cells.filter((c) => c.suppressed).map((c) => c.key)).toEqual(['b', 'c']);
  });
});

describe('protectTwoWay', () => {
  it('leaves no suppressed cell or margin recoverable by linear algebra over everything published', () => {
    fc.assert(
      fc.property(table, (counts) => {
        const p = protect(counts);
        if (!p.protectable) return; // not published at all
        expect(determinedCells(counts, p.rowM, p.colM, p.suppressed)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('always suppresses every count from 1 to 9 and never a zero unless it must', () => {
    fc.assert(
      fc.property(table, (counts) => {
        const p = protect(counts);
        counts.forEach((row, i) =>
          row.forEach((n, j) => {
            if (n > 0 && n < MIN_PUBLISHED) expect(p.suppressed[i][j]).toBe(true);
          }),
        );
      }),
    );
  });

  it('is exhaustive on a classic example: one small cell forces a rectangle of complements', () => {
    const counts = [
      [20, 30, 25],
      [15, 4, 40],
      [50, 12, 60],
    ];
    const p = protect(counts);
    expect(p.protectable).toBe(true);
    // the 4 needs a partner in its row, one in its column and the opposite corner: the rectangle
    // with the fewest persons suppressed (15 + 30 + 20 = 65) wins
    expect(p.suppressed).toEqual([
      [true, true, false],
      [true, true, false],
      [false, false, false],
    ]);
    expect(determinedCells(counts, p.rowM, p.colM, p.suppressed)).toEqual([]);
  });

  it('findBridge finds the lone edge and none in a cycle', () => {
    expect(findBridge(2, 2, (i, j) => i === 0 && j === 0)).toEqual([0, 0]);
    expect(findBridge(2, 2, () => true)).toBeUndefined();
  });
});

describe('differencing across overlapping queries', () => {
  // nocCode × province, as stored: one small cell (33102 in PE: 3 claimants)
  const counts: GroupCount[] = [
    { g: '33102', f: 'QC', n: 120 },
    { g: '33102', f: 'ON', n: 45 },
    { g: '33102', f: 'PE', n: 3 },
    { g: '64410', f: 'QC', n: 60 },
    { g: '64410', f: 'ON', n: 30 },
    { g: '64410', f: 'PE', n: 14 },
    { g: '65201', f: 'QC', n: 70 },
    { g: '65201', f: 'ON', n: 22 },
    { g: '65201', f: 'PE', n: 11 },
  ];

  it('the attacker gets the same unknown from every route', () => {
    const pe = protectedSlice('nocCode', { dimension: 'province', value: 'PE' }, counts);
    expect(pe.cells.find((c) => c.key === '33102')).toEqual({ key: '33102', count: null, suppressed: true });

    // Route 1: unfiltered total for 33102 minus the other provinces.
    const all = protectedOneWay(counts.map(({ g, n }) => ({ g, n })));
    const qc = protectedSlice('nocCode', { dimension: 'province', value: 'QC' }, counts);
    const on = protectedSlice('nocCode', { dimension: 'province', value: 'ON' }, counts);
    const cell = (a: typeof qc, k: string) => a.cells.find((c) => c.key === k)!.count;
    const route1 = [cell(all, '33102'), cell(qc, '33102'), cell(on, '33102')];
    // Route 2: the PE total minus the other occupations in PE.
    const route2 = [pe.total, cell(pe, '64410'), cell(pe, '65201')];
    // Route 3: grouped by province, filtered on... (nocCode is not a filter: refused upstream), so
    // the provinces' one-way table: PE's total.
    const byProvince = protectedOneWay(counts.map(({ f, n }) => ({ g: f!, n })));
    const route3 = [cell(byProvince, 'PE'), cell(pe, '64410'), cell(pe, '65201')];
    for (const route of [route1, route2, route3]) expect(route).toContain(null);
    // A total with a suppressed cell in it is never published.
    expect(pe.total).toBeNull();
  });

  it('a cell reads the same through (A filtered on B) and (B filtered on A)', () => {
    const dims = ['QC', 'ON', 'PE'];
    const statuses = ['PENDING', 'REJECTED', 'ACCEPTED'];
    fc.assert(
      fc.property(fc.array(smallCount, { minLength: 9, maxLength: 9 }), (ns) => {
        const rows: GroupCount[] = ns.map((n, k) => ({ g: dims[k % 3], f: statuses[Math.floor(k / 3)], n }));
        const flipped: GroupCount[] = rows.map(({ g, f, n }) => ({ g: f!, f: g, n }));
        for (const p of dims) for (const s of statuses) {
          const a = protectedSlice('province', { dimension: 'claimStatus', value: s }, rows).cells.find((c) => c.key === p);
          const b = protectedSlice('claimStatus', { dimension: 'province', value: p }, flipped).cells.find((c) => c.key === s);
          expect(a).toBeDefined();
          expect({ count: a!.count, suppressed: a!.suppressed }).toEqual({ count: b!.count, suppressed: b!.suppressed });
        }
      }),
    );
  });
});
