import fc from 'fast-check';
import { determinedUnknowns } from '@passerelle/testing';
import { RowSpace } from '../statistics/release-audit';
import { applyRuleChange, countSpots, type CountedClaimant, type EmptySpotDimension } from './empty-spots';
import { releaseSpots, spotCellId, type ReleasedSpots, type SpotQuery } from './spots-release';
import type { ClaimantView, ProgramCondition } from './program.types';
import { REFERENCE_PROGRAMS } from './reference-programs';

const AT = new Date('2026-03-01T12:00:00Z');
const W = { from: '2020-03-13', to: '2020-08-14' };

/** A claimant from small domains: the attacker's unknowns are the distinct tuples. */
interface Person {
  province: string;
  noc: string;
  status: string;
  hours: number;
  french: number | null;
  applied: boolean;
}
const tuple = (p: Person) => `${p.province}|${p.noc}|${p.status}|${p.hours}|${p.french}|${p.applied}`;
const view = (p: Person): ClaimantView => ({ province: p.province, nocCode: p.noc, claimStatus: p.status as never, healthCareHours: { hours: p.hours, periodStart: '2020-04-01', periodEnd: '2020-06-30' }, frenchLevel: p.french });
const counted = (ps: Person[]): CountedClaimant[] => ps.map((p) => ({ view: view(p), applied: p.applied }));

const hours = (n: number): ProgramCondition => ({ name: 'hours', kind: 'hoursAtLeast', hours: n, ...W });
const statuses = (s: string[]): ProgramCondition => ({ name: 'status', kind: 'claimStatusIn', statuses: s as never });
const french = (n: number): ProgramCondition => ({ name: 'french', kind: 'frenchLevelAtLeast', level: n });
const RULES: ProgramCondition[][] = [
  [statuses(['PENDING']), hours(120)],
  [statuses(['PENDING', 'ACCEPTED']), hours(120)],
  [statuses(['PENDING']), hours(100)],
  [statuses(['PENDING', 'ACCEPTED']), hours(150), french(5)],
  [hours(100)],
];
const GROUPINGS: EmptySpotDimension[][] = [[], ['province'], ['noc'], ['claimStatus'], ['province', 'noc'], ['province', 'claimStatus'], ['province', 'noc', 'claimStatus']];

/**
 * The linear-algebra attacker: every number ever published to the agency is an equation over
 * the unknown counts of the distinct claimant tuples (the attacker is even told which tuples
 * exist). Returns the small groups it can solve for: single tuples and suppressed cells of 1–9.
 */
function attack(people: Person[], releases: Array<{ query: SpotQuery; cells: Array<Array<{ id: string; count: number | null; suppressed: boolean }>> }>): string[] {
  const tuples = [...new Set(people.map(tuple))].sort();
  const index = new Map(tuples.map((t, i) => [t, i]));
  const size = tuples.map((t) => people.filter((p) => tuple(p) === t).length);
  const eqs: number[][] = [];
  const secrets: Array<{ name: string; row: number[] }> = [];
  const cellRows: Array<{ name: string; row: number[] }> = [];
  for (const r of releases) {
    const tables = countSpots(counted(people), r.query.conditions, AT, r.query.groupBy);
    r.query.tables.forEach((name, t) => {
      const table = tables[name];
      for (const cell of r.cells[t]) {
        const k = table.cells.findIndex((c) => spotCellId(c) === cell.id);
        const row = new Array(tuples.length).fill(0);
        people.forEach((p, i) => {
          if (table.membership[i] === k) row[index.get(tuple(p))!] = 1;
        });
        if (!cell.suppressed) eqs.push(row);
        else if (table.counts[k] > 0 && table.counts[k] < 10) secrets.push({ name: `${name}:${cell.id}`, row });
        cellRows.push({ name: `${name}:${cell.id}`, row });
      }
    });
  }
  // The differencing attack proper: X minus a cell Y nested in it, whatever the tables, is a group too.
  const people$ = (row: number[]) => row.reduce((n, x, i) => n + x * size[i], 0);
  for (const x of cellRows) for (const y of cellRows) {
    if (x === y || !y.row.every((v, i) => v <= x.row[i])) continue;
    const row = x.row.map((v, i) => v - y.row[i]);
    const n = people$(row);
    if (n > 0 && n < 10) secrets.push({ name: `${x.name} minus ${y.name}`, row });
  }
  // Each secret becomes an extra unknown tied to its tuples; it is solved when determined.
  const width = tuples.length + secrets.length;
  const all = eqs.map((row) => [...row, ...secrets.map(() => 0)]);
  secrets.forEach((s, j) => all.push([...s.row.map((x) => -x), ...secrets.map((_, q) => (q === j ? 1 : 0))]));
  if (all.length === 0) return [];
  const solved = new Set(determinedUnknowns(all, width));
  return [
    ...tuples.filter((t, i) => solved.has(i) && size[i] > 0 && size[i] < 10),
    ...secrets.filter((_, j) => solved.has(tuples.length + j)).map((s) => s.name),
  ];
}

describe('RowSpace (modular, sparse) agrees with the floating-point attacker', () => {
  it('says a unit vector is in the row space exactly when determinedUnknowns does', () => {
    const rows = fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 7, maxLength: 7 }), { minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(rows, (eqs) => {
        const space = new RowSpace();
        for (const r of eqs) space.add(new Map(r.flatMap((x, i) => (x ? [[i, x] as [number, number]] : []))));
        const expected = determinedUnknowns(eqs, 7);
        for (let u = 0; u < 7; u++) expect(space.contains(new Map([[u, 1]]))).toBe(expected.includes(u));
      }),
    );
  });
});

describe('releaseSpots: differencing across releases to one agency', () => {
  // 500 eligible in QC; a what-if admitting ACCEPTED claimants adds 3 in PE and 40 in QC.
  const people: Person[] = [
    ...Array.from({ length: 500 }, () => ({ province: 'QC', noc: '33102', status: 'PENDING', hours: 200, french: 6, applied: false })),
    ...Array.from({ length: 60 }, () => ({ province: 'PE', noc: '33102', status: 'PENDING', hours: 200, french: 6, applied: false })),
    ...Array.from({ length: 3 }, () => ({ province: 'PE', noc: '33102', status: 'ACCEPTED', hours: 200, french: 6, applied: false })),
    ...Array.from({ length: 40 }, () => ({ province: 'QC', noc: '33102', status: 'ACCEPTED', hours: 200, french: 6, applied: false })),
  ];
  const base: SpotQuery = { conditions: RULES[0], groupBy: ['province'], tables: ['notApplied'] };
  const whatIf: SpotQuery = { conditions: RULES[1], groupBy: ['province'], tables: ['notApplied'] };

  it('without the history a what-if after a release would give away the 3 in PE; with it, the difference is suppressed', () => {
    const first = releaseSpots(counted(people), AT, [], [base]);
    expect(first.answers[0][0].map((c) => [c.province, c.count])).toEqual([
      ['PE', 60],
      ['QC', 500],
    ]);
    // Naive: the what-if protected alone (no history) publishes PE 63 — and 63 − 60 = 3.
    const naive = releaseSpots(counted(people), AT, [], [whatIf]);
    expect(naive.answers[0][0].find((c) => c.province === 'PE')?.count).toBe(63);
    expect(attack(people, [{ query: base, cells: cellsOf(first) }, { query: whatIf, cells: cellsOf(naive) }])).not.toEqual([]);
    // Audited against the first release: the PE cell is withheld, and the attacker solves nothing.
    const second = releaseSpots(counted(people), AT, first.released, [whatIf]);
    expect(second.answers[0][0].find((c) => c.province === 'PE')).toMatchObject({ count: null, suppressed: true });
    expect(second.complementary).toBeGreaterThan(0);
    expect(attack(people, [{ query: base, cells: cellsOf(first) }, { query: whatIf, cells: cellsOf(second) }])).toEqual([]);
  });

  it('a sequence of releases with overlapping groupings and rules: no count 1–9 published, nothing small solvable', () => {
    const person = fc.record({
      province: fc.constantFrom('QC', 'QC', 'ON', 'PE'),
      noc: fc.constantFrom('33102', '33102', '64410', '65201'),
      status: fc.constantFrom('PENDING', 'PENDING', 'ACCEPTED'),
      hours: fc.constantFrom(110, 130, 200),
      french: fc.constantFrom(null, 4, 6),
      applied: fc.constantFrom(false, false, true),
    });
    const clump = fc.tuple(person, fc.integer({ min: 1, max: 25 })).map(([p, n]) => Array.from({ length: n }, () => ({ ...p })));
    const query = fc.record({ r: fc.integer({ min: 0, max: RULES.length - 1 }), g: fc.integer({ min: 0, max: GROUPINGS.length - 1 }), both: fc.boolean() });
    fc.assert(
      fc.property(fc.array(clump, { minLength: 3, maxLength: 12 }), fc.array(query, { minLength: 2, maxLength: 4 }), (clumps, qs) => {
        const people = clumps.flat();
        let history: ReleasedSpots[] = [];
        const seen: Array<{ query: SpotQuery; cells: ReturnType<typeof cellsOf> }> = [];
        for (const q of qs) {
          const query: SpotQuery = { conditions: RULES[q.r], groupBy: GROUPINGS[q.g], tables: q.both ? ['notApplied', 'eligible'] : ['notApplied'] };
          const out = releaseSpots(counted(people), AT, history, [query]);
          for (const table of out.answers[0]) for (const c of table) if (c.count !== null) expect(c.count === 0 || c.count >= 10).toBe(true);
          history = [...history, ...out.released];
          seen.push({ query, cells: cellsOf(out) });
          expect(attack(people, seen)).toEqual([]);
        }
      }),
      { numRuns: Number(process.env.SPOT_RUNS ?? 100) },
    );
  });
});

describe('simulateRule is a recomputation with the rule changed', () => {
  it('applyRuleChange then countSpots equals counting with the changed program written out', () => {
    const trpr = REFERENCE_PROGRAMS.find((p) => p.id === 'tr-to-pr-2021')!;
    const changed = applyRuleChange(trpr, 'health-care', { set: [{ name: 'not-an-asylum-claimant', kind: 'claimStatusNotIn', statuses: ['PENDING', 'REJECTED', 'APPEAL_PENDING'] }] });
    expect(changed.conditions.find((c) => c.name === 'not-an-asylum-claimant')).toMatchObject({ statuses: ['PENDING', 'REJECTED', 'APPEAL_PENDING'] });
    expect(() => applyRuleChange(trpr, 'health-care', { remove: ['no-such-condition'] })).toThrow(/no condition named no-such-condition/);
    expect(() => applyRuleChange(trpr, 'health-care', { set: [{ name: 'one-year-experience', kind: 'hoursAtLeast', hours: -5, from: '2018-05-06', to: '2021-11-05' }] })).toThrow(/hours must be a whole number/);
  });
});

function cellsOf(out: ReturnType<typeof releaseSpots>) {
  return out.answers[0].map((table) => table.map((c) => ({ id: spotCellId(c), count: c.count, suppressed: c.suppressed })));
}
