import { auditRelease, type ReleaseCell } from '../statistics/release-audit';
import { countSpots, type CountedClaimant, type EmptySpotDimension, type SpotCellKey, type SpotTable } from './empty-spots';
import type { SpotCounter } from './spot-population';
import type { ProgramCondition } from './program.types';

/**
 * Counts of eligibleNotApplied / simulateRule leave only through here: the tables asked for are
 * audited together with every table released before to the same agency (release-audit.ts), and
 * what is published is recorded so the next release is audited against it. Pure.
 */
export type SpotTableName = 'notApplied' | 'eligible';

/** One classification asked for (or released before): the conditions, the grouping, the tables. */
export interface SpotQuery {
  conditions: ProgramCondition[];
  groupBy: EmptySpotDimension[];
  tables: SpotTableName[];
}

/** What is kept of a release (no count: the cells published, by key). */
export interface ReleasedSpots {
  conditions: ProgramCondition[];
  groupBy: EmptySpotDimension[];
  table: SpotTableName;
  published: string[];
}

export interface ProtectedSpotCell extends SpotCellKey {
  /** null when suppressed */
  count: number | null;
  suppressed: boolean;
}

export interface SpotsRelease {
  /** per query, per table asked: the protected cells */
  answers: ProtectedSpotCell[][][];
  /** to record for the next audit */
  released: ReleasedSpots[];
  /** suppressed beyond 1–9 because of what this or earlier releases publish */
  complementary: number;
  /** nothing could be published safely */
  withheld: boolean;
}

export const spotCellId = (k: SpotCellKey) => `${k.province ?? '*'}|${k.noc ?? '*'}|${k.claimStatus ?? '*'}|${k.measure}|${k.field ?? ''}`;

/**
 * `population`: the claimants as a list (countSpots), or a SpotCounter that counts exactly as
 * countSpots would over the same list (SpotPopulation, the gateway's cached columnar form).
 */
export function releaseSpots(population: readonly CountedClaimant[] | SpotCounter, at: Date, history: readonly ReleasedSpots[], queries: readonly SpotQuery[]): SpotsRelease {
  const memo = new Map<string, ReturnType<typeof countSpots>>();
  const counted = (conditions: ProgramCondition[], groupBy: EmptySpotDimension[]) => {
    const key = JSON.stringify([conditions, [...groupBy].sort()]);
    let c = memo.get(key);
    if (!c) memo.set(key, (c = Array.isArray(population) ? countSpots(population as readonly CountedClaimant[], conditions, at, groupBy) : (population as SpotCounter).count(conditions, at, groupBy)));
    return c;
  };
  const memberships: Int32Array[] = [];
  const cells: ReleaseCell[][] = [];
  // The same table released again adds no atom, only equations: one table, the union of what
  // each release published (the audit's atoms, row space and order are the same; the cost no
  // longer grows with repeated questions).
  const earlier = new Map<string, { table: SpotTable; published: Set<string> }>();
  for (const h of history) {
    const key = JSON.stringify([h.conditions, [...h.groupBy].sort(), h.table]);
    const seen = earlier.get(key);
    if (seen) h.published.forEach((id) => seen.published.add(id));
    else earlier.set(key, { table: counted(h.conditions, h.groupBy)[h.table], published: new Set(h.published) });
  }
  for (const { table: t, published } of earlier.values()) {
    memberships.push(t.membership);
    cells.push(t.cells.map((k, i) => ({ count: t.counts[i], published: published.has(spotCellId(k)) })));
  }
  const fresh: Array<{ q: number; name: SpotTableName; table: SpotTable }> = [];
  queries.forEach((q, qi) => {
    for (const name of q.tables) {
      const table = counted(q.conditions, q.groupBy)[name];
      fresh.push({ q: qi, name, table });
      memberships.push(table.membership);
      cells.push(table.cells.map((_, i) => ({ count: table.counts[i], published: false })));
    }
  });
  const audit = auditRelease({ memberships, cells }, fresh.length);
  const answers: ProtectedSpotCell[][][] = queries.map(() => []);
  const released: ReleasedSpots[] = [];
  fresh.forEach(({ q, name, table }, f) => {
    const ok = audit.published[f];
    const order = table.cells.map((_, i) => i).sort((a, b) => (spotCellId(table.cells[a]) < spotCellId(table.cells[b]) ? -1 : 1));
    answers[q].push(order.map((i) => ({ ...table.cells[i], count: ok[i] ? table.counts[i] : null, suppressed: !ok[i] })));
    released.push({ conditions: queries[q].conditions, groupBy: queries[q].groupBy, table: name, published: table.cells.filter((_, i) => ok[i]).map(spotCellId) });
  });
  return { answers, released, complementary: audit.complementary, withheld: audit.withheld };
}
