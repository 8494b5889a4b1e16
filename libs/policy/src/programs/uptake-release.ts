import { auditRelease, type ReleaseCell } from '../statistics/release-audit';
import { protectOneWay } from '../statistics/suppression';
import { protectUptake, UPTAKE_DIMENSIONS, type UptakeCell, type UptakeDimension, type UptakeRow } from './uptake';

/**
 * programUptake releases audited against every earlier one to the same agency (issue 17), like
 * the empty-spots counts (spots-release.ts): each published number is an equation over the
 * stream's applications, and a new release may not let the agency solve, with everything it was
 * given before about the stream, for a group of 1–9 applications (e.g. all applications minus
 * a later programme year's, by province). Pure.
 *
 * What an uptake answer publishes, as tables over the stream's applications:
 * - always (the stream's public counters, as before): applications and admissions in the
 *   period asked, admitted and waitlisted overall, and (through `placesLeft`) admissions per
 *   programme year. Anyone may ask them for any period, so the audit takes those of EVERY
 *   period as known from the first release on (else a cell published today could be solved
 *   tomorrow by asking another period's totals); they are never suppressed;
 * - audited: the cells by month and/or province (applications and admissions, withheld
 *   together) and the admissions by province, each starting from its own protection
 *   (protectUptake / protectOneWay), the audit only withholding more.
 */
export type UptakeMeasure = 'applications' | 'admissions' | 'admitted' | 'waitlisted' | 'admittedInPeriods';

/** One application of the stream, as the audit sees it. */
export interface UptakeApplication {
  /** UTC day applied, YYYY-MM-DD */
  day: string;
  /** 'UNKNOWN' when none */
  province: string;
  status: 'ADMITTED' | 'WAITLISTED' | 'WITHDRAWN';
  /** the programme year of an admission */
  period: string | null;
}

export interface UptakeTableSpec {
  measure: UptakeMeasure;
  /** applied between these days, inclusive (applications, admissions); null: unbounded */
  from: string | null;
  to: string | null;
  /** admittedInPeriods: the programme years counted */
  periods?: string[];
  groupBy: UptakeDimension[];
}

/** What is kept of an uptake release (cell keys, never a count). */
export interface ReleasedUptake extends UptakeTableSpec {
  published: string[];
}

export const uptakeCellKey = (month: string | null, province: string | null) => `${month ?? '*'}|${province ?? '*'}`;

interface UptakeTable {
  keys: string[];
  counts: number[];
  membership: Int32Array;
}

function counts(applications: readonly UptakeApplication[], spec: UptakeTableSpec): UptakeTable {
  const dims = UPTAKE_DIMENSIONS.filter((d) => spec.groupBy.includes(d));
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const out: number[] = [];
  const membership = new Int32Array(applications.length).fill(-1);
  const periods = new Set(spec.periods ?? []);
  applications.forEach((a, i) => {
    const inWindow = (spec.from === null || a.day >= spec.from) && (spec.to === null || a.day <= spec.to);
    const counted =
      spec.measure === 'applications'
        ? inWindow
        : spec.measure === 'admissions'
          ? inWindow && a.status === 'ADMITTED'
          : spec.measure === 'admitted'
            ? a.status === 'ADMITTED'
            : spec.measure === 'waitlisted'
              ? a.status === 'WAITLISTED'
              : a.status === 'ADMITTED' && a.period !== null && periods.has(a.period);
    if (!counted) return;
    const key = uptakeCellKey(dims.includes('month') ? a.day.slice(0, 7) : null, dims.includes('province') ? a.province : null);
    let k = ids.get(key);
    if (k === undefined) {
      ids.set(key, (k = keys.length));
      keys.push(key);
      out.push(0);
    }
    out[k]++;
    membership[i] = k;
  });
  return { keys, counts: out, membership };
}

const specKey = (s: UptakeTableSpec) => JSON.stringify([s.measure, s.from, s.to, [...(s.periods ?? [])].sort(), [...s.groupBy].sort()]);

export interface UptakeRelease {
  /** per fresh table: the keys of its non-empty cells that must not be published */
  withheldKeys: Array<Set<string>>;
  /** to record: the public tables and the fresh ones as finally published (`couple` applied) */
  released: ReleasedUptake[];
  complementary: number;
  withheld: boolean;
}

/**
 * @param known tables published whatever the audit says (the stream's counters)
 * @param fresh the tables to audit, each with the keys its own protection publishes
 * @param couple groups of fresh tables whose cells are published together or not at all (by key)
 */
export function releaseUptake(
  applications: readonly UptakeApplication[],
  history: readonly ReleasedUptake[],
  known: readonly UptakeTableSpec[],
  fresh: ReadonlyArray<{ spec: UptakeTableSpec; allowed: ReadonlySet<string> }>,
  couple: ReadonlyArray<readonly number[]> = [],
): UptakeRelease {
  const memberships: Int32Array[] = [];
  const cells: ReleaseCell[][] = [];
  // A table released again adds no atom: one table, the union of what was published of it.
  const earlier = new Map<string, { table: UptakeTable; published: Set<string> }>();
  const remember = (spec: UptakeTableSpec, published: (t: UptakeTable) => Iterable<string>) => {
    const key = specKey(spec);
    const seen = earlier.get(key);
    const table = seen?.table ?? counts(applications, spec);
    if (seen) for (const k of published(table)) seen.published.add(k);
    else earlier.set(key, { table, published: new Set(published(table)) });
  };
  for (const h of history) remember(h, () => h.published);
  for (const k of known) remember(k, (t) => t.keys);
  for (const { table: t, published } of earlier.values()) {
    memberships.push(t.membership);
    cells.push(t.keys.map((key, i) => ({ count: t.counts[i], published: published.has(key) })));
  }
  const tables = fresh.map((f) => counts(applications, f.spec));
  for (const t of tables) {
    memberships.push(t.membership);
    cells.push(t.counts.map((count) => ({ count, published: false })));
  }
  const initial = tables.map((t, f) => t.keys.map((key) => fresh[f].allowed.has(key)));
  const audit = auditRelease({ memberships, cells }, tables.length, initial, true);
  const published = tables.map((t, f) => new Set(t.keys.filter((_, i) => audit.published[f][i])));
  // Coupled tables: a key withheld in one is withheld in all (withholding more never reveals more).
  for (const group of couple) {
    const withheld = new Set(group.flatMap((f) => tables[f].keys.filter((k) => !published[f].has(k))));
    for (const f of group) for (const k of withheld) published[f].delete(k);
  }
  const released: ReleasedUptake[] = [
    ...known.map((spec) => ({ ...spec, published: counts(applications, spec).keys })),
    ...fresh.map((f, i) => ({ ...f.spec, published: [...published[i]] })),
  ];
  const allowedCount = initial.flat().filter(Boolean).length;
  const publishedCount = published.reduce((n, s) => n + s.size, 0);
  const withheldKeys = tables.map((t, f) => new Set(t.keys.filter((k) => !published[f].has(k))));
  return { withheldKeys, released, complementary: audit.withheld ? 0 : allowedCount - publishedCount - primaryIn(tables, initial), withheld: audit.withheld };
}

/** Cells their own protection allowed that are 1–9 (withheld as primary, not complementary). */
function primaryIn(tables: readonly UptakeTable[], initial: ReadonlyArray<ReadonlyArray<boolean>>): number {
  let n = 0;
  tables.forEach((t, f) => t.counts.forEach((c, i) => initial[f][i] && c > 0 && c < 10 && n++));
  return n;
}

/** Applications and admissions per (month, province) of the applications made in `window`, ordered by month then province. */
export function uptakeCells(applications: readonly UptakeApplication[], window: { from: string | null; to: string | null }): UptakeRow[] {
  const cells = new Map<string, UptakeRow>();
  for (const a of applications) {
    if ((window.from !== null && a.day < window.from) || (window.to !== null && a.day > window.to)) continue;
    const month = a.day.slice(0, 7);
    const key = `${month}|${a.province}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { month, province: a.province, applications: 0, admissions: 0 }));
    c.applications++;
    if (a.status === 'ADMITTED') c.admissions++;
  }
  return [...cells.values()].sort((x, y) => (x.month < y.month ? -1 : x.month > y.month ? 1 : x.province < y.province ? -1 : x.province > y.province ? 1 : 0));
}

export interface UptakeQuery {
  /** the days of the period asked (null ends: unbounded) */
  window: { from: string | null; to: string | null };
  groupBy: readonly UptakeDimension[];
  /**
   * Every window anyone may ask the totals of (no period, and each period of the stream): their
   * applications and admissions totals are published unsuppressed, so the audit takes them all
   * as known from the first release on, whichever is asked now.
   */
  publicWindows: ReadonlyArray<{ from: string | null; to: string | null }>;
  /** the programme years of a paced stream: placesLeft of any of them gives its admissions (null: not paced) */
  publicPeriods: readonly string[] | null;
}

export interface ProtectedUptake {
  applications: number;
  admissions: number;
  byProvince: Array<{ province: string; count: number | null; suppressed: boolean }>;
  cells: UptakeCell[];
  /** to record for the next audit */
  released: ReleasedUptake[];
  complementary: number;
  withheld: boolean;
}

/**
 * The protected, audited uptake answer: each table starts from its own protection
 * (protectUptake for the cells, protectOneWay for admissions by province) and the audit
 * against `history` withholds more where the agency could otherwise solve for 1–9 applications.
 */
export function protectedUptake(applications: readonly UptakeApplication[], history: readonly ReleasedUptake[], query: UptakeQuery): ProtectedUptake {
  const { window } = query;
  const dims = UPTAKE_DIMENSIONS.filter((d) => query.groupBy.includes(d));
  const cells = uptakeCells(applications, window);
  const byProvince = protectOneWay([...cells.reduce((acc, c) => acc.set(c.province, (acc.get(c.province) ?? 0) + c.admissions), new Map<string, number>())].filter(([, n]) => n > 0));
  const protectedCells = protectUptake(cells, dims);
  const known: UptakeTableSpec[] = [
    ...[window, ...query.publicWindows].flatMap((w): UptakeTableSpec[] => [
      { measure: 'applications', from: w.from, to: w.to, groupBy: [] },
      { measure: 'admissions', from: w.from, to: w.to, groupBy: [] },
    ]),
    { measure: 'admitted', from: null, to: null, groupBy: [] },
    { measure: 'waitlisted', from: null, to: null, groupBy: [] },
    ...(query.publicPeriods ?? []).map((p): UptakeTableSpec => ({ measure: 'admittedInPeriods', from: null, to: null, periods: [p], groupBy: [] })),
  ];
  const shown = new Set(protectedCells.filter((c) => !c.suppressed).map((c) => uptakeCellKey(c.month, c.province)));
  const fresh: Array<{ spec: UptakeTableSpec; allowed: ReadonlySet<string> }> = [
    { spec: { measure: 'admissions', ...window, groupBy: ['province'] }, allowed: new Set(byProvince.filter((c) => !c.suppressed).map((c) => uptakeCellKey(null, c.key))) },
    ...(dims.length > 0
      ? [
          { spec: { measure: 'applications' as const, ...window, groupBy: dims }, allowed: shown },
          { spec: { measure: 'admissions' as const, ...window, groupBy: dims }, allowed: shown },
        ]
      : []),
  ];
  const release = releaseUptake(applications, history, known, fresh, dims.length > 0 ? [[1, 2]] : []);
  const withheld = (f: number, key: string) => release.withheld || (release.withheldKeys[f]?.has(key) ?? false);
  return {
    applications: cells.reduce((n, c) => n + c.applications, 0),
    admissions: cells.reduce((n, c) => n + c.admissions, 0),
    byProvince: byProvince.map((c) => {
      const suppressed = c.suppressed || withheld(0, uptakeCellKey(null, c.key));
      return { province: c.key, count: suppressed ? null : c.count, suppressed };
    }),
    cells: protectedCells.map((c) => {
      const key = uptakeCellKey(c.month, c.province);
      const suppressed = c.suppressed || withheld(1, key) || withheld(2, key);
      return { ...c, applications: suppressed ? null : c.applications, admissions: suppressed ? null : c.admissions, suppressed };
    }),
    released: release.released,
    complementary: release.complementary,
    withheld: release.withheld,
  };
}
