import fc from 'fast-check';
import { auditRelease, type ReleaseCell } from '../statistics/release-audit';
import { countSpots, EMPTY_SPOT_DIMENSIONS, type CountedClaimant, type EmptySpotDimension } from './empty-spots';
import type { EmploymentPeriod } from './hours';
import type { ClaimantView, ProgramCondition } from './program.types';
import { patchedOrder, SpotPopulationBuilder, type SpotPatch, type SpotRow } from './spot-population';
import { releaseSpots, spotCellId, type ProtectedSpotCell, type ReleasedSpots, type SpotQuery, type SpotsRelease, type SpotTableName } from './spots-release';

/**
 * The columnar population (what the gateway caches) against the plain list (what it counted
 * before): identical tables — cells in the same order, counts, membership, UNDETERMINED cells
 * with their missing fields — and identical audited releases, over random populations, rules,
 * groupings and release sequences. The release reference below is releaseSpots as it was before
 * it took a SpotCounter and merged repeated history tables.
 */
const AT = new Date('2026-03-01T12:00:00Z');
const W = { from: '2020-03-13', to: '2020-08-14' };

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
const period: fc.Arbitrary<EmploymentPeriod> = fc.record({
  provider: fc.constantFrom('qc.msss', 'ca.irb'),
  employer: fc.constantFrom('e_A', 'e_B'),
  employerSector: fc.constantFrom('HEALTH_CARE', 'SECURITY'),
  worksiteSector: fc.constantFrom('HEALTH_CARE', 'HEALTH_CARE', 'ADMINISTRATION'),
  start: fc.constantFrom('2020-03-01', '2020-04-01', '2020-06-15'),
  end: fc.constantFrom('2020-06-30', '2020-08-31', '2020-09-30'),
  hours: fc.integer({ min: 0, max: 400 }),
}).filter((p) => p.start <= p.end);
const viewArb: fc.Arbitrary<ClaimantView> = fc.record({
  province: maybe(fc.constantFrom('QC', 'ON', 'PE', 'UNKNOWN')),
  nocCode: maybe(fc.constantFrom('33102', '64410', '65201')),
  claimStatus: maybe(fc.constantFrom('PENDING', 'ACCEPTED', 'REJECTED')) as fc.Arbitrary<ClaimantView['claimStatus']>,
  sector: maybe(fc.constantFrom('HEALTH_CARE', 'SECURITY')),
  workPermitExpiry: maybe(fc.constantFrom('2025-01-01', '2026-03-01', '2027-06-30')),
  frenchLevel: maybe(fc.integer({ min: 1, max: 12 })),
  healthCareHours: maybe(
    fc.record({ hours: fc.constantFrom(50, 120, 300, 800), periodStart: fc.constantFrom('2020-03-20', '2020-01-01'), periodEnd: fc.constantFrom('2020-08-01', '2020-12-31') }),
  ),
  employment: fc.option(fc.array(period, { minLength: 1, maxLength: 3 }), { nil: null, freq: 2 }),
});
const condition: fc.Arbitrary<ProgramCondition> = fc.oneof(
  fc.record({ name: fc.constant('noc'), kind: fc.constant('nocCodeIn' as const), codes: fc.subarray(['33102', '64410', '65201']) }),
  fc.record({ name: fc.constant('sector'), kind: fc.constant('sectorIn' as const), sectors: fc.subarray(['HEALTH_CARE', 'SECURITY'] as const).map((s) => [...s]) }),
  fc.record({ name: fc.constant('hours'), kind: fc.constant('hoursAtLeast' as const), hours: fc.constantFrom(0, 60, 120, 300), from: fc.constant(W.from), to: fc.constant(W.to) }),
  fc.record({ name: fc.constant('status'), kind: fc.constant('claimStatusIn' as const), statuses: fc.subarray(['PENDING', 'ACCEPTED', 'REJECTED'] as const).map((s) => [...s]) }),
  fc.record({ name: fc.constant('not-status'), kind: fc.constant('claimStatusNotIn' as const), statuses: fc.subarray(['PENDING', 'REJECTED'] as const).map((s) => [...s]) }),
  fc.record({ name: fc.constant('permit'), kind: fc.constant('permitValidOn' as const), date: fc.constantFrom('today', '2026-01-01') }),
  fc.record({ name: fc.constant('french'), kind: fc.constant('frenchLevelAtLeast' as const), level: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ name: fc.constant('province'), kind: fc.constant('provinceIn' as const), provinces: fc.subarray(['QC', 'ON'] as const).map((s) => [...s]) }),
) as fc.Arbitrary<ProgramCondition>;
const conditions = fc.uniqueArray(condition, { minLength: 1, maxLength: 5, selector: (c) => c.name });
const grouping: fc.Arbitrary<EmptySpotDimension[]> = fc.subarray([...EMPTY_SPOT_DIMENSIONS]);
/** Clumps of equal claimants, so that cells are large enough to publish and small ones exist too. */
const population = (withheld: string[]) =>
  fc
    .array(fc.tuple(viewArb, fc.boolean(), fc.integer({ min: 1, max: 14 })), { minLength: 1, maxLength: 14 })
    .chain((clumps) => fc.shuffledSubarray(clumps.flatMap(([v, applied, n]) => Array.from({ length: n }, () => ({ view: { ...v, withheld }, applied }))), { minLength: 1 }));

describe('SpotPopulation counts exactly as countSpots', () => {
  it('same cells in the same order, counts and membership, for any population, rule and grouping', () => {
    fc.assert(
      fc.property(fc.subarray(['frenchLevel', 'sector']), fc.context(), (withheld, ctx) => {
        fc.assert(
          fc.property(population(withheld), conditions, grouping, (people: CountedClaimant[], conds, groupBy) => {
            const expected = countSpots(people, conds, AT, groupBy);
            const columnar = SpotPopulationBuilder.of(people);
            const got = columnar.count(conds, AT, groupBy);
            for (const t of ['notApplied', 'eligible'] as const) {
              expect(got[t].cells).toEqual(expected[t].cells);
              expect(got[t].counts).toEqual(expected[t].counts);
              expect([...got[t].membership]).toEqual([...expected[t].membership]);
            }
            // Remembered: the same answer again.
            expect(columnar.count(conds, AT, groupBy)).toBe(got);
            ctx.log(`${people.length} claimants`);
          }),
          { numRuns: 40 },
        );
      }),
      { numRuns: 3 },
    );
  });

  it('UNDETERMINED cells name the missing fields in condition order, as countSpots does', () => {
    const people: CountedClaimant[] = Array.from({ length: 12 }, () => ({ view: { province: 'QC', claimStatus: 'PENDING' }, applied: false }));
    const conds: ProgramCondition[] = [
      { name: 'french', kind: 'frenchLevelAtLeast', level: 5 },
      { name: 'status', kind: 'claimStatusIn', statuses: ['PENDING'] },
      { name: 'hours', kind: 'hoursAtLeast', hours: 100, ...W },
      { name: 'french-2', kind: 'frenchLevelAtLeast', level: 6 },
    ];
    const got = SpotPopulationBuilder.of(people).count(conds, AT, ['province']);
    expect(got.notApplied.cells).toEqual([{ province: 'QC', noc: null, claimStatus: null, measure: 'UNDETERMINED_NOT_APPLIED', field: 'frenchLevel+healthCareHours' }]);
    expect(got.notApplied).toEqual(countSpots(people, conds, AT, ['province']).notApplied);
  });
});

/** A claimant as the builder and the patch take it. */
const rowOf = (c: CountedClaimant): SpotRow => ({
  province: c.view.province ?? null,
  nocCode: c.view.nocCode ?? null,
  claimStatus: c.view.claimStatus ?? null,
  sector: c.view.sector ?? null,
  workPermitExpiry: c.view.workPermitExpiry ?? null,
  frenchLevel: c.view.frenchLevel ?? null,
  healthCareHours: c.view.healthCareHours ?? null,
  employment: c.view.employment ?? null,
  applied: c.applied,
});

describe('SpotPopulation#patched counts exactly as the population rebuilt from scratch', () => {
  /** Per row: kept, replaced by another claimant, or removed; claimants inserted before random rows. */
  const edits = (withheld: string[]) =>
    fc.record({
      fate: fc.array(fc.record({ kind: fc.constantFrom('keep', 'keep', 'replace', 'remove'), by: viewArb, applied: fc.boolean() }), { minLength: 60, maxLength: 60 }),
      inserts: fc.array(fc.record({ before: fc.nat({ max: 200 }), view: viewArb, applied: fc.boolean() }), { maxLength: 12 }),
      withheld: fc.constant(withheld),
    });

  it('any population, replacements, removals and insertions (new field values included), any rule and grouping, patched again and again', () => {
    fc.assert(
      fc.property(fc.subarray(['frenchLevel', 'sector']).chain((w) => fc.tuple(population(w), fc.array(edits(w), { minLength: 1, maxLength: 3 }), conditions, grouping)), ([people, rounds, conds, groupBy]) => {
        let list: CountedClaimant[] = people;
        let columnar = SpotPopulationBuilder.of(people);
        for (const round of rounds) {
          const patch: { replace: Map<number, SpotRow>; remove: number[]; insert: Array<{ before: number; row: SpotRow }> } = { replace: new Map(), remove: [], insert: [] };
          const replaced = new Map<number, CountedClaimant>();
          list.forEach((_, i) => {
            const f = round.fate[i % round.fate.length];
            if (f.kind === 'replace') {
              const c = { view: { ...f.by, withheld: round.withheld }, applied: f.applied };
              replaced.set(i, c);
              patch.replace.set(i, rowOf(c));
            } else if (f.kind === 'remove' && i % 3 === 0) patch.remove.push(i);
          });
          const added = round.inserts.map((x) => ({ before: x.before % (list.length + 1), c: { view: { ...x.view, withheld: round.withheld }, applied: x.applied } }));
          patch.insert = added.map((x) => ({ before: x.before, row: rowOf(x.c) }));
          const before = columnar;
          const held = before.count(conds, AT, groupBy);
          columnar = columnar.patched(patch as SpotPatch);
          // The list the patch describes, built the plain way.
          const removed = new Set(patch.remove);
          const next: CountedClaimant[] = [];
          for (let r = 0; r <= list.length; r++) {
            for (const x of added) if (x.before === r) next.push(x.c);
            if (r < list.length && !removed.has(r)) next.push(replaced.get(r) ?? list[r]);
          }
          list = next;
          expect(columnar.size).toBe(list.length);
          const expected = SpotPopulationBuilder.of(list).count(conds, AT, groupBy);
          const got = columnar.count(conds, AT, groupBy);
          for (const t of ['notApplied', 'eligible'] as const) {
            expect(got[t].cells).toEqual(expected[t].cells);
            expect(got[t].counts).toEqual(expected[t].counts);
            expect([...got[t].membership]).toEqual([...expected[t].membership]);
          }
          expect(got.notApplied).toEqual(countSpots(list, conds, AT, groupBy).notApplied);
          // The population patched is left as it was.
          expect(before.count(conds, AT, groupBy)).toBe(held);
        }
      }),
      { numRuns: Number(process.env.SPOT_RUNS ?? 150) },
    );
  });

  it('patchedOrder: inserted rows before their row, in the order given; removed rows gone; bad rows refused', () => {
    expect([...patchedOrder(3, { remove: [1], insert: [{ before: 3 } as never, { before: 0 } as never, { before: 0 } as never] })]).toEqual([-2, -3, 0, 2, -1]);
    expect([...patchedOrder(0, { insert: [{ before: 0 } as never] })]).toEqual([-1]);
    expect(() => patchedOrder(3, { remove: [3] })).toThrow();
    expect(() => patchedOrder(3, { remove: [1, 1] })).toThrow();
    expect(() => patchedOrder(3, { insert: [{ before: 4 } as never] })).toThrow();
    const p = SpotPopulationBuilder.of([{ view: { province: 'QC' }, applied: false }]);
    expect(() => p.patched({ replace: new Map([[1, rowOf({ view: {}, applied: false })]]) })).toThrow();
  });
});

describe('releaseSpots over the columnar population equals the release as it was computed before', () => {
  it('identical answers, suppression, complementary count, withholding and record over a sequence of releases (repeated questions included)', () => {
    const query = fc.record({ conditions, groupBy: grouping, both: fc.boolean(), repeat: fc.nat({ max: 3 }) });
    fc.assert(
      fc.property(population([]), fc.array(query, { minLength: 1, maxLength: 5 }), (people: CountedClaimant[], qs) => {
        const columnar = SpotPopulationBuilder.of(people);
        let history: ReleasedSpots[] = [];
        const asked: SpotQuery[] = [];
        for (const q of qs) {
          // Sometimes the same question as an earlier one (the history then holds a table twice).
          const query: SpotQuery = q.repeat === 0 && asked.length > 0 ? asked[0] : { conditions: q.conditions, groupBy: q.groupBy, tables: q.both ? ['notApplied', 'eligible'] : ['notApplied'] };
          asked.push(query);
          const before = releaseAsBefore(people, AT, history, [query]);
          const now = releaseSpots(columnar, AT, history, [query]);
          expect(now).toEqual(before);
          history = [...history, ...now.released];
        }
      }),
      { numRuns: Number(process.env.SPOT_RUNS ?? 150) },
    );
  });
});

/** releaseSpots before issue 17's performance work: the plain list, every history table audited as released. */
function releaseAsBefore(population: readonly CountedClaimant[], at: Date, history: readonly ReleasedSpots[], queries: readonly SpotQuery[]): SpotsRelease {
  const counted = (conditions: ProgramCondition[], groupBy: EmptySpotDimension[]) => countSpots(population, conditions, at, groupBy);
  const memberships: Int32Array[] = [];
  const cells: ReleaseCell[][] = [];
  for (const h of history) {
    const t = counted(h.conditions, h.groupBy)[h.table];
    const published = new Set(h.published);
    memberships.push(t.membership);
    cells.push(t.cells.map((k, i) => ({ count: t.counts[i], published: published.has(spotCellId(k)) })));
  }
  const fresh: Array<{ q: number; name: SpotTableName; table: ReturnType<typeof countSpots>['notApplied'] }> = [];
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
