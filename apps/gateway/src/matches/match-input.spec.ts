import fc from 'fast-check';
import { checkMatchFilter, checkPageSize, isMatchId, matchPasses, positionFrom, positionText } from './match-input';

describe('matches input', () => {
  it('accepts a full filter and turns a day into the start of that UTC day', () => {
    expect(checkMatchFilter({ province: 'ON', nocCode: '33102', minHourlyWageCents: 0, postedSince: '2026-03-01' })).toEqual({
      ok: true,
      value: { province: 'ON', nocCode: '33102', minHourlyWageCents: 0, postedSince: new Date('2026-03-01T00:00:00Z') },
    });
    expect(checkMatchFilter(null)).toEqual({ ok: true, value: {} });
    expect(checkMatchFilter({ languageFit: 'MEETS' })).toEqual({ ok: true, value: { languageFit: 'MEETS' } });
  });

  it.each([
    [{ province: 'Ontario' }, 'filter.province must be one of'],
    [{ nocCode: '3310' }, 'filter.nocCode must be a NOC 2021 code of exactly 5 digits'],
    [{ minHourlyWageCents: -5 }, 'filter.minHourlyWageCents must be a whole number of cents, 0 or more'],
    [{ postedSince: '2026-02-30' }, 'filter.postedSince must be an RFC 3339 date-time with offset or a day YYYY-MM-DD'],
    [{ languageFit: 'MAYBE' }, 'filter.languageFit must be one of MEETS DOES_NOT_MEET UNDETERMINED'],
  ])('refuses %j', (filter, reason) => {
    const checked = checkMatchFilter(filter);
    expect(checked.ok).toBe(false);
    expect((checked as { reason: string }).reason).toContain(reason);
  });

  it('bounds the page size', () => {
    expect(checkPageSize(null)).toEqual({ ok: true, value: 50 });
    expect(checkPageSize(0).ok).toBe(false);
    expect(checkPageSize(501).ok).toBe(false);
  });

  it('filters a match on its own values', () => {
    const row = { province: 'ON', nocCode: '33102', hourlyWageCents: '2500', postedAt: null, matchedAt: new Date('2026-03-03T10:00:00Z') };
    expect(matchPasses(row, {})).toBe(true);
    expect(matchPasses(row, { province: 'ON', nocCode: '33102', minHourlyWageCents: 2500, postedSince: new Date('2026-03-03T10:00:00Z') })).toBe(true);
    expect(matchPasses(row, { province: 'QC' })).toBe(false);
    expect(matchPasses(row, { nocCode: '64410' })).toBe(false);
    expect(matchPasses(row, { minHourlyWageCents: 2501 })).toBe(false);
    expect(matchPasses(row, { postedSince: new Date('2026-03-04T00:00:00Z') })).toBe(false);
  });

  it('round-trips keyset positions and refuses anything else (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), (at, id) => {
        expect(positionFrom(positionText({ at, id }))).toEqual({ at, id });
      }),
    );
    expect(positionFrom('nonsense')).toBeNull();
    expect(positionFrom('["2026-01-01T00:00:00Z","not-a-uuid"]')).toBeNull();
  });

  it('recognises match ids', () => {
    expect(isMatchId('0b6f1c9e-2f7a-4e61-9d3c-5a1f0e2b7c44')).toBe(true);
    expect(isMatchId("1' OR '1'='1")).toBe(false);
  });
});
