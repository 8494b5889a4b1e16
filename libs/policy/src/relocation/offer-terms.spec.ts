import { checkOfferTerms, isReceivingJurisdiction, type RawOfferTerms } from './offer-terms';

const VALID: RawOfferTerms = {
  regions: ['Moncton', 'Saint John'],
  nocCodes: ['33102', '65201'],
  places: 40,
  periodStart: '2027-01-01',
  periodEnd: '2027-06-30',
  languageSupport: 'EN_AND_FR',
  minFrenchLevel: 5,
  settlementServices: ['HOUSING', 'LANGUAGE_TRAINING'],
  contact: { kind: 'EMAIL', value: 'relocation@petl.example' },
};

describe('relocation offer terms', () => {
  it('accepts full terms (levels optional)', () => {
    expect(checkOfferTerms(VALID)).toEqual({ ok: true, value: { ...VALID, minEnglishLevel: null } });
  });

  it.each([
    [{ regions: [] }, 'regions must list 1 to 20 regions'],
    [{ regions: ['Moncton', 'moncton'] }, 'regions must not repeat'],
    [{ nocCodes: ['3310'] }, 'each of nocCodes must be a NOC 2021 code of exactly 5 digits'],
    [{ nocCodes: ['33102', '33102'] }, 'nocCodes must not repeat'],
    [{ places: 0 }, 'places must be a whole number from 1 to 100000'],
    [{ places: 2.5 }, 'places must be a whole number'],
    [{ periodStart: '2027-02-30' }, 'periodStart must be a day YYYY-MM-DD'],
    [{ periodEnd: '2026-12-31' }, 'periodEnd must not be before periodStart'],
    [{ languageSupport: 'BOTH' }, 'languageSupport must be one of EN, FR, EN_AND_FR'],
    [{ minFrenchLevel: 13 }, 'minFrenchLevel (NCLC) must be a whole level from 1 to 12'],
    [{ minEnglishLevel: 0 }, 'minEnglishLevel (CLB) must be a whole level from 1 to 12'],
    [{ settlementServices: ['SPA'] }, 'settlementServices must be taken from'],
    [{ contact: { kind: 'FAX', value: '1' } }, 'contact.kind must be one of EMAIL, PHONE, URL'],
    [{ contact: { kind: 'URL', value: 'http://plain.example' } }, 'contact.value must be an https URL'],
    [{ contact: { kind: 'PHONE', value: 'call us' } }, 'contact.value must be a phone number'],
  ])('refuses %j', (change, reason) => {
    const checked = checkOfferTerms({ ...VALID, ...change });
    expect(checked.ok).toBe(false);
    expect((checked as { reason: string }).reason).toContain(reason);
  });

  it('only provinces and territories other than Quebec receive', () => {
    expect(['NB', 'ON', 'MB', 'AB'].every(isReceivingJurisdiction)).toBe(true);
    expect(['QC', 'CA', undefined].some(isReceivingJurisdiction)).toBe(false);
  });
});
