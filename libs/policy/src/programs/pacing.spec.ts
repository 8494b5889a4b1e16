import { decideApplication, findStream, periodOf, periodsOf, placesLeft, programStreams, promotionsDue, type ResolvedStream, type StreamCounters } from './pacing';
import { REFERENCE_PROGRAMS } from './reference-programs';

const program = (id: string) => REFERENCE_PROGRAMS.find((p) => p.id === id)!;
const qc = findStream(program('qc-health-asylum'), null)!;
const counters = (admitted: number, byPeriod: Record<string, number>, waitlisted = 0): StreamCounters => ({ admitted, admittedByPeriod: byPeriod, waitlisted });

describe('streams as data', () => {
  it('tr-to-pr-2021 has its six streams with their caps; the common conditions come first in each', () => {
    const streams = programStreams(program('tr-to-pr-2021'));
    expect(streams.map((s) => [s.id, s.cap])).toEqual([
      ['health-care', 20000],
      ['essential-non-health', 30000],
      ['international-graduates', 40000],
      ['health-care-fr', null],
      ['essential-non-health-fr', null],
      ['international-graduates-fr', null],
    ]);
    for (const s of streams) expect(s.conditions.slice(0, 2).map((c) => c.name)).toEqual(['temporary-resident-status', 'not-an-asylum-claimant']);
    expect(findStream(program('tr-to-pr-2021'), null)).toBeUndefined(); // several streams: the caller must name one
  });

  it('a program without streams is one implicit stream, main, made of its cap, capPeriod and pacing', () => {
    expect(qc).toMatchObject({ id: 'main', cap: 1500, window: { from: '2025-01-01', to: '2027-12-31' }, pacing: { perPeriod: 500, carryOver: false }, waitlist: true });
    expect(findStream(program('guardian-angels-2020'), 'main')).toMatchObject({ cap: null, window: null, pacing: null });
  });
});

describe('pacing at period boundaries', () => {
  it('programme years run from the first day of the window; the last ends with it', () => {
    expect(periodsOf(qc).map((p) => [p.id, p.from, p.to])).toEqual([
      ['2025-01-01', '2025-01-01', '2025-12-31'],
      ['2026-01-01', '2026-01-01', '2026-12-31'],
      ['2027-01-01', '2027-01-01', '2027-12-31'],
    ]);
    const table: Array<[string, string | null]> = [
      ['2024-12-31', null],
      ['2025-01-01', '2025-01-01'],
      ['2025-12-31', '2025-01-01'],
      ['2026-01-01', '2026-01-01'],
      ['2027-12-31', '2027-01-01'],
      ['2028-01-01', null],
    ];
    for (const [day, id] of table) expect(periodOf(qc, day)?.id ?? null).toBe(id);
    expect(periodOf({ window: null, pacing: null }, '1999-01-01')).toMatchObject({ id: 'all' });
  });

  it('at most 500 a year, unused places not carried over; never past the whole cap', () => {
    const y1 = periodOf(qc, '2025-12-31')!;
    const y2 = periodOf(qc, '2026-01-01')!;
    expect(placesLeft(qc, y1, counters(499, { '2025-01-01': 499 }))).toBe(1);
    expect(placesLeft(qc, y1, counters(500, { '2025-01-01': 500 }))).toBe(0);
    // The next day is a new programme year: 500 fresh places, the 200 unused of year 1 are lost.
    expect(placesLeft(qc, y2, counters(300, { '2025-01-01': 300 }))).toBe(500);
    // The whole cap binds before the year's allowance (admissions carried in from the pre-pacing period 'all').
    expect(placesLeft(qc, y2, counters(1400, { all: 1000, '2025-01-01': 400 }))).toBe(100);
  });

  it('with carryOver, the places a year left unused pass to the next', () => {
    const carry: ResolvedStream = { ...qc, pacing: { period: 'programmeYear', perPeriod: 500, carryOver: true } };
    expect(placesLeft(carry, periodOf(carry, '2026-01-01')!, counters(300, { '2025-01-01': 300 }))).toBe(700);
    expect(placesLeft(carry, periodOf(carry, '2027-06-01')!, counters(1500, { '2025-01-01': 500, '2026-01-01': 1000 }))).toBe(0);
  });
});

describe('decideApplication', () => {
  const closed = { ...qc, waitlist: false };
  const rows: Array<[string, ResolvedStream, string, StreamCounters, string, RegExp]> = [
    ['a free place, nobody waiting', qc, '2025-03-01', counters(10, { '2025-01-01': 10 }), 'APPLIED', /free/],
    ['the year is full, the program waitlists', qc, '2025-03-01', counters(500, { '2025-01-01': 500 }), 'WAITLISTED', /its 500 places for the programme year from 2025-01-01 to 2025-12-31; the claimant joins the waitlist/],
    ['the year is full, no waitlist', closed, '2025-03-01', counters(500, { '2025-01-01': 500 }), 'CAP_REACHED', /its 500 places for the programme year/],
    ['the whole cap is reached', closed, '2027-03-01', counters(1500, { '2025-01-01': 500, '2026-01-01': 500, '2027-01-01': 500 }), 'CAP_REACHED', /reached its cap of 1500 places/],
    ['before the window', qc, '2024-12-31', counters(0, {}), 'CLOSED', /from 2025-01-01 to 2027-12-31 only/],
    ['after the window', qc, '2028-01-01', counters(0, {}), 'CLOSED', /only/],
    ['someone already waits: a newcomer does not jump the line', qc, '2025-03-01', counters(500, { '2025-01-01': 500 }, 3), 'WAITLISTED', /waitlist/],
  ];
  it.each(rows)('%s', (_name, stream, day, c, status, reason) => {
    const d = decideApplication(stream, day, c);
    expect(d.status).toBe(status);
    expect(d.reason).toMatch(reason);
  });

  it('a new period admits as many waiting claimants as it has places, in order, and no more', () => {
    expect(promotionsDue(qc, '2025-12-31', counters(500, { '2025-01-01': 500 }, 7)).count).toBe(0);
    expect(promotionsDue(qc, '2026-01-01', counters(500, { '2025-01-01': 500 }, 7))).toMatchObject({ count: 7, period: { id: '2026-01-01' } });
    expect(promotionsDue(qc, '2026-01-01', counters(500, { '2025-01-01': 500 }, 700)).count).toBe(500);
    expect(promotionsDue(qc, '2028-01-01', counters(500, { '2025-01-01': 500 }, 7)).count).toBe(0);
  });
});
