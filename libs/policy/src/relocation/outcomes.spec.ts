import { checkOutcomeGroupBy, OUTCOME_DIMENSIONS, protectOutcomes, quarterOf, type OutcomeDimension, type OutcomeRow } from './outcomes';

/** A small deterministic pseudo-random population (property-style, no library). */
function population(seed: number): OutcomeRow[] {
  let x = seed;
  const next = (n: number) => ((x = (x * 1103515245 + 12345) % 2147483648), x % n);
  const rows: OutcomeRow[] = [];
  for (const to of ['NB', 'ON', 'MB', 'AB']) {
    for (const noc of ['33102', '64410', '65201']) {
      for (const status of ['REFERRED', 'ACCEPTED', 'EMPLOYED']) {
        const n = next(4) === 0 ? 0 : next(30);
        if (n === 0) continue;
        const jobs = status === 'EMPLOYED' ? n : 0;
        const acceptances = status === 'REFERRED' ? 0 : n;
        rows.push({ fromProvince: 'QC', toProvince: to, noc, status, referrals: n, acceptances, moves: jobs, jobs });
      }
    }
  }
  return rows;
}

const groupings: OutcomeDimension[][] = [[], ...OUTCOME_DIMENSIONS.map((d) => [d])];
for (let i = 0; i < OUTCOME_DIMENSIONS.length; i++) for (let j = i + 1; j < OUTCOME_DIMENSIONS.length; j++) groupings.push([OUTCOME_DIMENSIONS[i], OUTCOME_DIMENSIONS[j]]);

describe('relocation outcomes protection', () => {
  it('never publishes a count from 1 to 9; a lone suppressed cell in a one-way table never comes with a published total (200 populations)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rows = population(seed);
      for (const dims of groupings) {
        const cells = protectOutcomes(rows, dims);
        for (const c of cells) for (const n of [c.referrals, c.acceptances, c.moves, c.jobs]) if (n !== null) expect(n === 0 || n >= 10).toBe(true);
        for (const c of cells) if (c.suppressed) expect([c.referrals, c.acceptances, c.moves, c.jobs]).toEqual([null, null, null, null]);
        // A lone suppressed cell happens only when a measure has a single non-zero cell (no complement
        // exists): its total is then the small count itself, and the total is never published either.
        if (dims.length === 1 && cells.filter((c) => c.suppressed).length === 1) expect(protectOutcomes(rows, [])[0].suppressed).toBe(true);
      }
    }
  });

  it('publishes the cells whose counts are all 0 or 10 and more when nothing needs hiding', () => {
    const rows: OutcomeRow[] = [
      { fromProvince: 'QC', toProvince: 'NB', noc: '33102', status: 'EMPLOYED', referrals: 12, acceptances: 12, moves: 12, jobs: 12 },
      { fromProvince: 'QC', toProvince: 'ON', noc: '33102', status: 'REFERRED', referrals: 40, acceptances: 0, moves: 0, jobs: 0 },
    ];
    expect(protectOutcomes(rows, ['toProvince'])).toEqual([
      { fromProvince: null, toProvince: 'NB', noc: null, status: null, referrals: 12, acceptances: 12, moves: 12, jobs: 12, suppressed: false },
      { fromProvince: null, toProvince: 'ON', noc: null, status: null, referrals: 40, acceptances: 0, moves: 0, jobs: 0, suppressed: false },
    ]);
  });

  it('takes calendar quarters only, and at most two known dimensions in one canonical order', () => {
    expect(quarterOf('2026-Q4')).toEqual({ id: '2026-Q4', from: new Date('2026-10-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
    for (const bad of ['2026', '2026-10', '2026-Q0', '2026-Q5', 'Q4-2026', '', null, 2026]) expect(quarterOf(bad)).toBeNull();
    expect(checkOutcomeGroupBy(['status', 'toProvince'])).toEqual({ ok: true, value: ['toProvince', 'status'] });
    expect(checkOutcomeGroupBy(['toProvince', 'noc', 'status'])).toMatchObject({ ok: false });
    expect(checkOutcomeGroupBy(['subject'])).toMatchObject({ ok: false });
  });
});
