import fc from 'fast-check';
import { protectUptake, type UptakeRow } from './uptake';

const row = (month: string, province: string, applications: number, admissions: number): UptakeRow => ({ month, province, applications, admissions });

describe('protectUptake', () => {
  it('one dimension: counts 1-9 never published, and never exactly one suppressed cell', () => {
    const cells = protectUptake([row('2026-01', 'QC', 40, 30), row('2026-01', 'ON', 3, 2), row('2026-02', 'QC', 25, 12)], ['province']);
    expect(cells).toEqual([
      { month: null, province: 'ON', applications: null, admissions: null, suppressed: true },
      // QC's admissions (42) are the complement: ON alone suppressed would be the total minus QC
      { month: null, province: 'QC', applications: null, admissions: null, suppressed: true },
    ]);
    expect(protectUptake([row('2026-01', 'QC', 40, 30), row('2026-02', 'QC', 25, 12)], ['month']).map((c) => [c.month, c.applications, c.admissions])).toEqual([
      ['2026-01', 40, 30],
      ['2026-02', 25, 12],
    ]);
  });

  it('no cell ever publishes a count from 1 to 9, by month and province', () => {
    const months = ['2026-01', '2026-02', '2026-03'];
    const provinces = ['QC', 'ON', 'BC', 'UNKNOWN'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...months), fc.constantFrom(...provinces), fc.nat(40), fc.nat(40)), { maxLength: 12 }), (rs) => {
        const rows = rs.map(([m, p, a, b]) => row(m, p, a + b, b));
        for (const groupBy of [['month'], ['province'], ['month', 'province']] as const) {
          for (const c of protectUptake(rows, groupBy)) {
            for (const n of [c.applications, c.admissions]) if (n !== null) expect(n === 0 || n >= 10).toBe(true);
            expect(c.suppressed).toBe(c.applications === null);
          }
        }
      }),
    );
  });
});
