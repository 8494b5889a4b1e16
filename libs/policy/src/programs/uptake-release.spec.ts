import fc from 'fast-check';
import { determinedUnknowns } from '@passerelle/testing';
import { protectOneWay } from '../statistics/suppression';
import { protectUptake, type UptakeDimension } from './uptake';
import { protectedUptake, uptakeCells, type ProtectedUptake, type ReleasedUptake, type UptakeApplication, type UptakeQuery } from './uptake-release';

/**
 * programUptake across a sequence of releases to one agency (issue 17): the linear-algebra
 * attacker of the statistics and empty-spots tests (determinedUnknowns), given every number
 * published, solves for no group of 1–9 applications that the stream's public counters alone
 * did not give away already.
 */
const YEAR1 = { from: '2022-01-01', to: '2022-12-31' };
const YEAR2 = { from: '2023-01-01', to: '2023-12-31' };
const ALL = { from: null, to: null };

const apps = (n: number, province: string, day: string, status: UptakeApplication['status'] = 'ADMITTED', period: string | null = status === 'ADMITTED' ? day.slice(0, 4) : null): UptakeApplication[] =>
  Array.from({ length: n }, () => ({ day, province, status, period }));

/** The distinct kinds of application (the attacker's unknowns: it is even told which exist). */
const tuple = (a: UptakeApplication) => `${a.day}|${a.province}|${a.status}|${a.period}`;

type Published = { query: UptakeQuery; answer: ProtectedUptake };

/**
 * Equations: every published cell and public counter of every release, as a 0/1 row over the
 * kinds of application. Returns the groups of 1–9 applications it can solve for (kinds, and
 * suppressed cells), beyond those the public counters alone give away.
 */
function attack(applications: UptakeApplication[], releases: Published[]): string[] {
  const kinds = [...new Set(applications.map(tuple))].sort();
  const size = kinds.map((k) => applications.filter((a) => tuple(a) === k).length);
  const sample = kinds.map((k) => applications.find((a) => tuple(a) === k)!);
  const inWindow = (a: UptakeApplication, w: UptakeQuery['window']) => (w.from === null || a.day >= w.from) && (w.to === null || a.day <= w.to);
  const row = (pred: (a: UptakeApplication) => boolean) => sample.map((a) => (pred(a) ? 1 : 0));
  const counters: number[][] = [];
  const cells: number[][] = [];
  const secrets: Array<{ name: string; row: number[] }> = [];
  for (const { query, answer } of releases) {
    const w = query.window;
    // The public counters: totals of every window anyone may ask, admitted and waiting overall, admissions per programme year.
    for (const v of [w, ...query.publicWindows]) counters.push(row((a) => inWindow(a, v)), row((a) => inWindow(a, v) && a.status === 'ADMITTED'));
    counters.push(row((a) => a.status === 'ADMITTED'), row((a) => a.status === 'WAITLISTED'));
    for (const p of query.publicPeriods ?? []) counters.push(row((a) => a.status === 'ADMITTED' && a.period === p));
    for (const c of answer.byProvince) {
      const r = row((a) => inWindow(a, w) && a.status === 'ADMITTED' && a.province === c.province);
      if (!c.suppressed) cells.push(r);
      else secrets.push({ name: `byProvince ${c.province}`, row: r });
    }
    for (const c of answer.cells) {
      const match = (a: UptakeApplication) => inWindow(a, w) && (c.month === null || a.day.slice(0, 7) === c.month) && (c.province === null || a.province === c.province);
      const apps = row(match);
      const adm = row((a) => match(a) && a.status === 'ADMITTED');
      if (!c.suppressed) cells.push(apps, adm);
      else secrets.push({ name: `cell ${c.month}/${c.province} applications`, row: apps }, { name: `cell ${c.month}/${c.province} admissions`, row: adm });
    }
  }
  const n = (r: number[]) => r.reduce((s, x, i) => s + x * size[i], 0);
  const small = secrets.filter((s) => n(s.row) > 0 && n(s.row) < 10);
  const solve = (eqs: number[][]) => {
    const width = kinds.length + small.length;
    const all = eqs.map((r) => [...r, ...small.map(() => 0)]);
    small.forEach((s, j) => all.push([...s.row.map((x) => -x), ...small.map((_, q) => (q === j ? 1 : 0))]));
    const solved = new Set(determinedUnknowns(all, width));
    return [...kinds.filter((_, i) => solved.has(i) && size[i] > 0 && size[i] < 10), ...small.filter((_, j) => solved.has(kinds.length + j)).map((s) => s.name)];
  };
  const known = new Set(solve(counters));
  return solve([...counters, ...cells]).filter((g) => !known.has(g));
}

/** The stream's uptake as it was protected before the history (each release on its own). */
function alone(applications: UptakeApplication[], query: UptakeQuery): ProtectedUptake {
  const cells = uptakeCells(applications, query.window);
  const byProvince = protectOneWay([...cells.reduce((m, c) => m.set(c.province, (m.get(c.province) ?? 0) + c.admissions), new Map<string, number>())].filter(([, k]) => k > 0));
  return {
    applications: 0,
    admissions: 0,
    byProvince: byProvince.map((c) => ({ province: c.key, count: c.suppressed ? null : c.count, suppressed: c.suppressed })),
    cells: protectUptake(cells, query.groupBy),
    released: [],
    complementary: 0,
    withheld: false,
  };
}

describe('programUptake: differencing across releases to one agency', () => {
  // 2 admitted in PE in the first programme year, 12 in the second.
  const stream: UptakeApplication[] = [...apps(100, 'QC', '2022-03-10'), ...apps(2, 'PE', '2022-05-02'), ...apps(50, 'QC', '2023-04-01'), ...apps(12, 'PE', '2023-06-15'), ...apps(15, 'ON', '2023-06-20', 'WAITLISTED')];
  const open = { publicWindows: [ALL], publicPeriods: null };
  const everything: UptakeQuery = { window: ALL, groupBy: ['province'], ...open };
  const secondYear: UptakeQuery = { window: YEAR2, groupBy: ['province'], ...open };

  it('each release alone is protected, but all years minus the second gives away the 2 in PE; audited against the first, the second withholds it', () => {
    const first = protectedUptake(stream, [], everything);
    expect(first.byProvince.find((c) => c.province === 'PE')).toMatchObject({ count: 14, suppressed: false });
    expect(first).toMatchObject({ applications: 179, admissions: 164, complementary: 0, withheld: false });
    // As before (no history): PE 12 in the second year is published, and 14 − 12 = 2.
    const naive = alone(stream, secondYear);
    expect(naive.byProvince.find((c) => c.province === 'PE')).toMatchObject({ count: 12, suppressed: false });
    expect(attack(stream, [{ query: everything, answer: first }, { query: secondYear, answer: naive }])).not.toEqual([]);
    // Audited: PE withheld in the second release, with what would let it be recomputed.
    const second = protectedUptake(stream, first.released, secondYear);
    expect(second.byProvince.find((c) => c.province === 'PE')).toMatchObject({ count: null, suppressed: true });
    expect(second.complementary).toBeGreaterThan(0);
    expect(attack(stream, [{ query: everything, answer: first }, { query: secondYear, answer: second }])).toEqual([]);
  });

  it('a first release of a stream whose public totals give no cell away equals the protection it had before', () => {
    for (const groupBy of [[], ['province'], ['month'], ['month', 'province']] as UptakeDimension[][]) {
      const q: UptakeQuery = { window: ALL, groupBy, ...open };
      const before = alone(stream, q);
      const now = protectedUptake(stream, [], q);
      expect(now.byProvince).toEqual(before.byProvince);
      expect(now.cells).toEqual(before.cells);
    }
  });

  it('records cell keys and the public counters, never a count or an application', () => {
    const first = protectedUptake(stream, [], everything);
    const text = JSON.stringify(first.released);
    expect(text).not.toMatch(/"count"|2022-03-10/);
    expect(first.released.map((r) => r.measure)).toEqual(['applications', 'admissions', 'applications', 'admissions', 'admitted', 'waitlisted', 'admissions', 'applications', 'admissions']);
  });

  it('a sequence of releases over periods and groupings: nothing small is solvable beyond the public counters', () => {
    const application = fc.record({
      day: fc.constantFrom('2022-02-10', '2022-07-01', '2023-02-10', '2023-09-30'),
      province: fc.constantFrom('QC', 'QC', 'ON', 'PE'),
      status: fc.constantFrom('ADMITTED', 'ADMITTED', 'WAITLISTED', 'WITHDRAWN') as fc.Arbitrary<UptakeApplication['status']>,
    });
    const clump = fc.tuple(application, fc.integer({ min: 1, max: 20 })).map(([a, n]) => apps(n, a.province, a.day, a.status));
    const query = fc.record({
      window: fc.constantFrom(ALL, YEAR1, YEAR2),
      groupBy: fc.constantFrom<UptakeDimension[]>([], ['province'], ['month'], ['month', 'province']),
    });
    // The stream: paced by programme year (2022, 2023) or not; its periods are what anyone may ask.
    const paced = fc.boolean().map((p) => ({ publicWindows: p ? [ALL, YEAR1, YEAR2] : [ALL], publicPeriods: p ? ['2022', '2023'] : null }));
    fc.assert(
      fc.property(fc.array(clump, { minLength: 2, maxLength: 9 }), fc.array(query, { minLength: 2, maxLength: 4 }), paced, (clumps, queries, stream) => {
        const applications = clumps.flat();
        let history: ReleasedUptake[] = [];
        const seen: Published[] = [];
        // Only the periods the stream has may be asked.
        const qs = queries.map((q): UptakeQuery => ({ ...q, window: stream.publicPeriods ? q.window : ALL, ...stream }));
        for (const q of qs) {
          const answer = protectedUptake(applications, history, q);
          for (const c of answer.byProvince) if (c.count !== null) expect(c.count === 0 || c.count >= 10).toBe(true);
          for (const c of answer.cells) for (const x of [c.applications, c.admissions]) if (x !== null) expect(x === 0 || x >= 10).toBe(true);
          history = [...history, ...answer.released];
          seen.push({ query: q, answer });
          expect(attack(applications, seen)).toEqual([]);
        }
      }),
      { numRuns: Number(process.env.UPTAKE_RUNS ?? 100) },
    );
  });
});
