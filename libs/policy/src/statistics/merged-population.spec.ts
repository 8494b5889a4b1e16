import { seededRandom, type SeededRandom } from '@passerelle/testing';
import { MergedPopulation, type CountedDimension, type MergedRow } from './merged-population';
import { frenchBand, STAT_DIMENSIONS, UNKNOWN_CATEGORY, type GroupCount, type StatDimension } from './statistics';

const PROVIDERS = ['ca.ircc', 'qc.mifi', 'qc.msss', 'on.mltsd'];
const VALUES: Record<StatDimension, readonly (string | number)[]> = {
  province: ['QC', 'ON', 'PE', 'NB'],
  claimStatus: ['PENDING', 'ACCEPTED', 'REJECTED'],
  nocCode: ['33102', '31301', '65310', '73300', '14400'],
  sector: ['HEALTH_CARE', 'RETAIL', 'SECURITY'],
  frenchBand: [1, 3, 4, 5, 6, 7, 9, 12],
};

function randomRow(r: SeededRandom): MergedRow {
  const [provider1, provider2] = [...PROVIDERS].sort(() => r.next() - 0.5);
  const two = r.next() < 0.6;
  const value = (d: StatDimension) => (r.next() < 0.25 ? null : r.pick(VALUES[d]));
  const values = Object.fromEntries(STAT_DIMENSIONS.map((d) => [d, [value(d), two ? value(d) : null]])) as unknown as MergedRow['values'];
  return { provider1, provider2: two ? provider2 : null, values };
}

/** The merge spelled out, row by row: the reference. */
function reference(rows: ReadonlyMap<string, MergedRow>, dims: readonly CountedDimension[], population: readonly string[]): GroupCount[] {
  const cells = new Map<string, GroupCount>();
  for (const row of rows.values()) {
    const providers = [row.provider1, row.provider2];
    if (!providers.some((p) => p !== null && population.includes(p))) continue;
    const category = ({ dimension, allowed }: CountedDimension) => {
      for (const k of [0, 1]) {
        const v = row.values[dimension][k];
        if (providers[k] !== null && allowed.includes(providers[k]!) && v !== null) return dimension === 'frenchBand' ? frenchBand(Number(v)) : String(v);
      }
      return UNKNOWN_CATEGORY;
    };
    const g = category(dims[0]);
    const f = dims[1] ? category(dims[1]) : undefined;
    const key = `${g}|${f}`;
    const held = cells.get(key) ?? (f === undefined ? { g, n: 0 } : { g, f, n: 0 });
    held.n++;
    cells.set(key, held);
  }
  return [...cells.values()];
}

const sorted = (counts: GroupCount[]) => [...counts].sort((a, b) => `${a.g}|${a.f}`.localeCompare(`${b.g}|${b.f}`));

describe('MergedPopulation', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('counts as the row-by-row merge, through inserts, changes and removals (seed %i)', (seed) => {
    const r = seededRandom(seed);
    const population = new MergedPopulation();
    const rows = new Map<string, MergedRow>();
    for (let step = 0; step < 6; step++) {
      // a burst of writes: new subjects, changed ones, removed ones (rows are reused)
      for (let i = 0; i < 300; i++) {
        const subject = `s${r.int(500)}`;
        if (r.next() < 0.2) {
          population.set(subject, null);
          rows.delete(subject);
        } else {
          const row = randomRow(r);
          population.set(subject, row);
          rows.set(subject, row);
        }
      }
      expect(population.size).toBe(rows.size);
      for (let q = 0; q < 12; q++) {
        const dims: CountedDimension[] = [{ dimension: r.pick(STAT_DIMENSIONS), allowed: r.subset(PROVIDERS) }];
        if (r.next() < 0.6) dims.push({ dimension: r.pick(STAT_DIMENSIONS.filter((d) => d !== dims[0].dimension)), allowed: r.subset(PROVIDERS) });
        const among = [...new Set(dims.flatMap((d) => d.allowed))];
        const what = `seed ${seed} step ${step} ${JSON.stringify(dims)}`;
        expect({ what, counts: sorted(population.count(dims, among)) }).toEqual({ what, counts: sorted(reference(rows, dims, among)) });
      }
    }
  });

  it('never counts a removed subject, and a provider unknown to it counts nobody', () => {
    const population = new MergedPopulation();
    const row = randomRow(seededRandom(9));
    population.set('a', row);
    population.set('b', row);
    population.set('a', null);
    population.set('a', null); // removing twice changes nothing
    const dims = [{ dimension: 'province' as const, allowed: [row.provider1] }];
    expect(population.count(dims, [row.provider1]).reduce((n, c) => n + c.n, 0)).toBe(1);
    expect(population.count([{ dimension: 'province', allowed: ['nobody'] }], ['nobody'])).toEqual([]);
    expect(population.size).toBe(1);
  });

  it('groups a value only under a provider the dimension allows, else UNKNOWN', () => {
    const population = new MergedPopulation();
    const values = Object.fromEntries(STAT_DIMENSIONS.map((d) => [d, [null, null]])) as unknown as Record<StatDimension, [string | number | null, string | number | null]>;
    values.province = ['QC', 'ON'];
    values.frenchBand = [null, 7];
    population.set('s', { provider1: 'qc.msss', provider2: 'ca.ircc', values });
    expect(population.count([{ dimension: 'province', allowed: ['ca.ircc'] }], ['ca.ircc'])).toEqual([{ g: 'ON', n: 1 }]);
    expect(population.count([{ dimension: 'province', allowed: ['qc.msss', 'ca.ircc'] }], ['ca.ircc'])).toEqual([{ g: 'QC', n: 1 }]);
    // msss holds no French level: the next allowed provider's counts
    expect(population.count([{ dimension: 'frenchBand', allowed: ['qc.msss', 'ca.ircc'] }, { dimension: 'province', allowed: [] }], ['qc.msss'])).toEqual([{ g: 'ADVANCED', f: UNKNOWN_CATEGORY, n: 1 }]);
    expect(population.count([{ dimension: 'frenchBand', allowed: ['qc.msss'] }], ['qc.msss'])).toEqual([{ g: UNKNOWN_CATEGORY, n: 1 }]);
  });

  it('refuses a count by no dimension or by three', () => {
    const population = new MergedPopulation();
    expect(() => population.count([], [])).toThrow(/one or two dimensions/);
    const d = { dimension: 'province' as const, allowed: [] };
    expect(() => population.count([d, d, d], [])).toThrow(/one or two dimensions/);
  });
});
