import { provinceBars, recentQuarters, statusBars, type OutcomeCell } from './relocation';

const cell = (p: Partial<OutcomeCell>): OutcomeCell => ({ toProvince: null, status: null, referrals: null, acceptances: null, moves: null, jobs: null, suppressed: false, ...p });

describe('relocation page data', () => {
  it('orders statuses along the lifecycle and never draws a suppressed one', () => {
    const out = statusBars([
      cell({ status: 'EMPLOYED', referrals: 23 }),
      cell({ status: 'REFERRED', referrals: 71 }),
      cell({ status: 'CONTACTED', suppressed: true }),
      cell({ status: 'ACCEPTED', referrals: 19 }),
    ]);
    expect(out).toEqual({ bars: [{ label: 'REFERRED', count: 71 }, { label: 'ACCEPTED', count: 19 }, { label: 'EMPLOYED', count: 23 }], suppressed: ['CONTACTED'] });
  });

  it('draws one measure by province, suppressed provinces apart', () => {
    const cells = [cell({ toProvince: 'ON', referrals: 37, jobs: 0 }), cell({ toProvince: 'NB', referrals: 66, jobs: 23 }), cell({ toProvince: 'MB', suppressed: true })];
    expect(provinceBars(cells, 'jobs')).toEqual({ bars: [{ label: 'NB', count: 23 }, { label: 'ON', count: 0 }], suppressed: ['MB'] });
  });

  it('lists the current quarter and the three before it', () => {
    expect(recentQuarters(new Date('2026-12-01T00:00:00Z'))).toEqual(['2026-Q4', '2026-Q3', '2026-Q2', '2026-Q1']);
    expect(recentQuarters(new Date('2027-02-10T00:00:00Z'))).toEqual(['2027-Q1', '2026-Q4', '2026-Q3', '2026-Q2']);
  });
});
