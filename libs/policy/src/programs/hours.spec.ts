import fc from 'fast-check';
import { dayNumber, hoursInWindow, type EmploymentPeriod } from './hours';

const W = { from: '2020-03-13', to: '2020-08-14' };
const p = (provider: string, employer: string, start: string, end: string, hours: number, worksiteSector = 'HEALTH_CARE', employerSector = 'HEALTH_CARE'): EmploymentPeriod => ({ provider, employer, employerSector, worksiteSector, start, end, hours });

describe('hoursInWindow: examples', () => {
  it('a period inside the window counts in full; one straddling it counts the share of its days inside', () => {
    expect(hoursInWindow([p('a', 'e1', '2020-04-01', '2020-04-30', 150)], W)).toBe(150);
    // 10 days, 5 of them in the window (08-10..08-14)
    expect(hoursInWindow([p('a', 'e1', '2020-08-10', '2020-08-19', 100)], W)).toBeCloseTo(50, 9);
    expect(hoursInWindow([p('a', 'e1', '2020-09-01', '2020-09-30', 100)], W)).toBe(0);
  });

  it('sums across employers AND providers: two jobs at two employers reported by two providers add up', () => {
    const periods = [p('qc.mtess', 'chsld-a', '2020-03-13', '2020-05-31', 80), p('qc.msss', 'hospital-b', '2020-06-01', '2020-08-14', 70)];
    expect(hoursInWindow(periods, W)).toBe(150);
  });

  it('overlapping periods of one employer from two providers are the same job: the higher daily rate, not the sum', () => {
    // The employer's payroll (via mtess) and the health network (msss) both report April at the CHSLD.
    const mtess = p('qc.mtess', 'chsld-a', '2020-04-01', '2020-04-30', 120); // 4 h/day
    const msss = p('qc.msss', 'chsld-a', '2020-04-16', '2020-05-15', 150); // 5 h/day
    // 04-01..04-15: 4 h/day (60) ; 04-16..04-30: max(4, 5) = 5 h/day (75) ; 05-01..05-15: 5 h/day (75)
    expect(hoursInWindow([mtess, msss], W)).toBeCloseTo(210, 9);
    // The same period reported twice is counted once.
    expect(hoursInWindow([mtess, { ...mtess, provider: 'qc.msss' }], W)).toBeCloseTo(120, 9);
    // One provider's two contracts with one employer are two.
    expect(hoursInWindow([mtess, { ...mtess, hours: 30 }], W)).toBeCloseTo(150, 9);
  });

  it("counts the worksite sector, not the employer's: the guardian-angels guard", () => {
    const posted = p('qc.mtess', 'garda', '2020-04-01', '2020-06-30', 300, 'HEALTH_CARE', 'SECURITY');
    const office = p('qc.mtess', 'garda', '2020-07-01', '2020-07-31', 150, 'ADMINISTRATION', 'SECURITY');
    const clerk = p('qc.mtess', 'chsld-a', '2020-07-01', '2020-07-31', 150, 'ADMINISTRATION', 'HEALTH_CARE');
    expect(hoursInWindow([posted, office, clerk], W)).toBe(300);
  });
});

describe('hoursInWindow: properties', () => {
  const day = fc.integer({ min: 0, max: 400 }).map((d) => new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
  const period = fc
    .record({
      provider: fc.constantFrom('a', 'b', 'c'),
      employer: fc.constantFrom('e1', 'e2', 'e3'),
      employerSector: fc.constantFrom('HEALTH_CARE', 'SECURITY', 'CLEANING_MAINTENANCE'),
      worksiteSector: fc.constantFrom('HEALTH_CARE', 'HEALTH_CARE', 'SECURITY'),
      a: day,
      b: day,
      hours: fc.integer({ min: 0, max: 2000 }),
    })
    .map(({ a, b, ...r }) => ({ ...r, start: a < b ? a : b, end: a < b ? b : a }));
  const periods = fc.array(period, { maxLength: 8 });
  const window = fc.tuple(day, day).map(([a, b]) => ({ from: a < b ? a : b, to: a < b ? b : a }));
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));

  it('never more than the health-care hours reported, never less than any one period alone', () => {
    fc.assert(
      fc.property(periods, window, (ps, w) => {
        const h = hoursInWindow(ps, w);
        expect(h).toBeLessThanOrEqual(ps.filter((x) => x.worksiteSector === 'HEALTH_CARE').reduce((s, x) => s + x.hours, 0) + 1e-6);
        for (const x of ps) expect(h + 1e-6).toBeGreaterThanOrEqual(hoursInWindow([x], w));
      }),
    );
  });

  it('splitting the window in two splits the hours (prorating is additive)', () => {
    fc.assert(
      fc.property(periods, window, (ps, w) => {
        const cut = Math.floor((dayNumber(w.from) + dayNumber(w.to)) / 2);
        if (cut + 1 > dayNumber(w.to)) return;
        const mid = new Date(cut * 86_400_000).toISOString().slice(0, 10);
        const next = new Date((cut + 1) * 86_400_000).toISOString().slice(0, 10);
        expect(close(hoursInWindow(ps, { from: w.from, to: mid }) + hoursInWindow(ps, { from: next, to: w.to }), hoursInWindow(ps, w))).toBe(true);
      }),
    );
  });

  it('a provider repeating another provider’s periods adds nothing; a new employer adds its own hours exactly', () => {
    fc.assert(
      fc.property(periods, window, period, (ps, w, extra) => {
        const h = hoursInWindow(ps, w);
        const copied = ps.filter((x) => x.provider === 'a').map((x) => ({ ...x, provider: 'z' }));
        expect(close(hoursInWindow([...ps, ...copied], w), h)).toBe(true);
        const other = { ...extra, employer: 'someone-else' };
        expect(close(hoursInWindow([...ps, other], w), h + hoursInWindow([other], w))).toBe(true);
      }),
    );
  });

  it("the employer's sector never matters; adding a period never lowers the sum", () => {
    fc.assert(
      fc.property(periods, window, period, (ps, w, extra) => {
        const h = hoursInWindow(ps, w);
        expect(close(hoursInWindow(ps.map((x) => ({ ...x, employerSector: 'OTHER' })), w), h)).toBe(true);
        expect(hoursInWindow([...ps, extra], w) + 1e-6).toBeGreaterThanOrEqual(h);
      }),
    );
  });
});
