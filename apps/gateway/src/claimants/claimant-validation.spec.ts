import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { testKeyring, toInternalId } from '@passerelle/crypto';
import { CLAIM_STATUSES, PROVINCES, SECTORS } from './claimant-fields';
import { checkClaimantRecord, checkSubmission, daysInclusive, isIsoDate, type RawClaimantInput } from './claimant-validation';

const TODAY = '2026-06-15';
const base: RawClaimantInput = { clientId: 'UCI-1234-5678' };

describe('checkClaimantRecord', () => {
  const cases: Array<[string, RawClaimantInput, string | null]> = [
    ['a full record', { ...base, claimStatus: 'APPEAL_PENDING', claimDate: '2020-04-01', province: 'QC', workPermitExpiry: '2027-01-31', nocCode: '33102', sector: 'HEALTH_CARE', healthCareHours: 1200, hoursPeriodStart: '2020-03-13', hoursPeriodEnd: '2020-08-14', frenchLevel: 6 }, null],
    ['one field only', { ...base, frenchLevel: 5 }, null],
    ['no clientId', { province: 'QC' }, 'clientId is missing'],
    ['null clientId', { clientId: null, province: 'QC' }, 'clientId is missing'],
    ['blank clientId', { clientId: ' -- ', province: 'QC' }, 'clientId is empty (only spaces or separators)'],
    ['clientId too long', { clientId: 'A'.repeat(129), province: 'QC' }, 'clientId is longer than 128 characters'],
    ['clientId with a control character', { clientId: 'AB\u0000CD', province: 'QC' }, 'clientId contains control characters'],
    ['no field besides clientId', { ...base }, 'record holds no field besides clientId'],
    ['unknown claim status', { ...base, claimStatus: 'DENIED' }, `claimStatus must be one of ${CLAIM_STATUSES.join(', ')}`],
    ['lower-case status', { ...base, claimStatus: 'pending' }, `claimStatus must be one of ${CLAIM_STATUSES.join(', ')}`],
    ['bad date format', { ...base, claimDate: '01/04/2020' }, 'claimDate must be a date written YYYY-MM-DD between 1900-01-01 and 2100-12-31'],
    ['impossible date', { ...base, workPermitExpiry: '2026-02-30' }, 'workPermitExpiry must be a date written YYYY-MM-DD between 1900-01-01 and 2100-12-31'],
    ['claim date in the future', { ...base, claimDate: '2026-06-16' }, 'claimDate must not be in the future'],
    ['permit expiry in the future is fine', { ...base, workPermitExpiry: '2030-01-01' }, null],
    ['unknown province', { ...base, province: 'XX' }, `province must be a province or territory code: ${PROVINCES.join(', ')}`],
    ['province spelled out', { ...base, province: 'Quebec' }, `province must be a province or territory code: ${PROVINCES.join(', ')}`],
    ['NOC of 4 digits', { ...base, nocCode: '3310' }, 'nocCode must be a NOC 2021 code of 5 digits'],
    ['NOC with letters', { ...base, nocCode: '3310A' }, 'nocCode must be a NOC 2021 code of 5 digits'],
    ['unknown sector', { ...base, sector: 'HOSPITAL' }, `sector must be one of ${SECTORS.join(', ')}`],
    ['negative hours', { ...base, healthCareHours: -1, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-12-31' }, 'healthCareHours must be a whole number of hours, 0 or more'],
    ['fractional hours', { ...base, healthCareHours: 1.5, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-12-31' }, 'healthCareHours must be a whole number of hours, 0 or more'],
    ['hours without period', { ...base, healthCareHours: 100 }, 'healthCareHours needs hoursPeriodStart and hoursPeriodEnd'],
    ['period without hours', { ...base, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-12-31' }, 'hoursPeriodStart and hoursPeriodEnd are only accepted with healthCareHours'],
    ['period reversed', { ...base, healthCareHours: 10, hoursPeriodStart: '2020-12-31', hoursPeriodEnd: '2020-01-01' }, 'hoursPeriodStart must not be after hoursPeriodEnd'],
    ['more hours than the period holds', { ...base, healthCareHours: 49, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-01-02' }, 'healthCareHours exceeds 24 hours a day over the period'],
    ['exactly 24h a day', { ...base, healthCareHours: 48, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-01-02' }, null],
    ['period ending in the future', { ...base, healthCareHours: 1, hoursPeriodStart: '2026-06-01', hoursPeriodEnd: '2026-07-01' }, 'hoursPeriodEnd must not be in the future'],
    ['French level 0', { ...base, frenchLevel: 0 }, 'frenchLevel must be a whole NCLC level from 1 to 12'],
    ['French level 13', { ...base, frenchLevel: 13 }, 'frenchLevel must be a whole NCLC level from 1 to 12'],
    ['several problems at once', { ...base, province: 'XX', frenchLevel: 13 }, `province must be a province or territory code: ${PROVINCES.join(', ')}; frenchLevel must be a whole NCLC level from 1 to 12`],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    const result = checkClaimantRecord(input, TODAY);
    if (expected === null) expect(result).toMatchObject({ ok: true });
    else expect(result).toEqual({ ok: false, reason: expected });
  });

  it('keeps the health-care hours with their period', () => {
    const r = checkClaimantRecord({ ...base, healthCareHours: 10, hoursPeriodStart: '2020-01-01', hoursPeriodEnd: '2020-01-31' }, TODAY);
    expect(r).toEqual({ ok: true, clientId: base.clientId, values: { healthCareHours: { hours: 10, periodStart: '2020-01-01', periodEnd: '2020-01-31' } } });
  });

  it('never quotes a submitted value in a reason, whatever the field', () => {
    const marker = fc.stringMatching(/^[A-Z]{3}[0-9]{6}$/);
    const fields = ['claimStatus', 'claimDate', 'province', 'workPermitExpiry', 'nocCode', 'sector', 'hoursPeriodStart'] as const;
    fc.assert(
      fc.property(marker, fc.constantFrom(...fields), (m, field) => {
        const r = checkClaimantRecord({ clientId: m, [field]: m }, TODAY);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).not.toContain(m);
        const tooLong = checkClaimantRecord({ clientId: m.repeat(20), province: 'QC' }, TODAY);
        if (!tooLong.ok) expect(tooLong.reason).not.toContain(m);
      }),
    );
  });
});

describe('dates', () => {
  it('accepts exactly the real calendar dates in range', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        expect(isIsoDate(d.toISOString().slice(0, 10))).toBe(true);
      }),
    );
    for (const bad of ['2023-02-29', '2024-13-01', '1899-12-31', '2101-01-01', '2024-1-01', '20240101', '']) expect(isIsoDate(bad)).toBe(false);
    expect(isIsoDate('2024-02-29')).toBe(true);
  });

  it('counts days inclusively', () => {
    expect(daysInclusive('2020-01-01', '2020-01-01')).toBe(1);
    expect(daysInclusive('2020-01-01', '2020-12-31')).toBe(366);
    expect(daysInclusive('2021-03-13', '2021-03-15')).toBe(3); // across a DST change
  });
});

describe('checkSubmission', () => {
  const keyring = testKeyring();
  const toSubject = (id: string) => toInternalId(keyring, id);

  it('refuses bad records and duplicates by index and keeps the good ones in order', () => {
    const out = checkSubmission(
      [{ clientId: 'A1', province: 'QC' }, { clientId: 'B2', province: 'ZZ' }, null, { clientId: 'a-1', frenchLevel: 5 }, { clientId: 'C3', sector: 'OTHER' }],
      TODAY,
      toSubject,
    );
    expect(out.accepted.map((a) => a.index)).toEqual([0, 4]);
    expect(out.accepted[0].subject).toBe(toSubject('A1'));
    expect(out.rejected).toEqual([
      { index: 1, reason: `province must be a province or territory code: ${PROVINCES.join(', ')}` },
      { index: 2, reason: 'record is null' },
      { index: 3, reason: 'same claimant as the record at index 0: send one record per claimant' },
    ]);
  });

  it('partitions every index exactly once and never carries a client id', () => {
    const record = fc.record({ clientId: fc.stringMatching(/^[A-Z0-9]{1,6}$/), frenchLevel: fc.integer({ min: -2, max: 14 }) });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (records) => {
        const out = checkSubmission(records, TODAY, toSubject);
        const indexes = [...out.accepted.map((a) => a.index), ...out.rejected.map((r) => r.index)].sort((a, b) => a - b);
        expect(indexes).toEqual(records.map((_, i) => i));
        expect(new Set(out.accepted.map((a) => a.subject)).size).toBe(out.accepted.length);
        expect(JSON.stringify(out.accepted)).not.toContain('clientId');
      }),
    );
  });
});

describe('the vocabulary and the migration', () => {
  const migration = fs.readFileSync(path.join(__dirname, '../../../../libs/persistence/src/migrations/1795450000000-claimant-records.ts'), 'utf8');
  const checkList = (column: string) => {
    const m = new RegExp(`${column} text CHECK \\(${column} IN \\(([^)]*)\\)\\)`).exec(migration);
    return m ? m[1].split(',').map((s) => s.trim().replace(/'/g, '')) : [];
  };
  it('constrains the columns to exactly the lists the code validates against', () => {
    expect(checkList('claim_status')).toEqual([...CLAIM_STATUSES]);
    expect(checkList('province')).toEqual([...PROVINCES]);
    expect(checkList('sector')).toEqual([...SECTORS]);
  });
});

describe('employment periods (issue 17)', () => {
  const period = { employerId: 'NEQ-1', employerSector: 'SECURITY', worksiteSector: 'HEALTH_CARE', start: '2020-04-01', end: '2020-06-30', hours: 300 };
  it('accepts periods, alone or with fields, and turns the employer id into a reference before anything is kept', () => {
    const out = checkSubmission([{ clientId: 'A-1', employment: [period] }], '2026-01-01', (c) => `s:${c}`, (e) => `ref(${e.length})`);
    expect(out.rejected).toEqual([]);
    expect(out.accepted[0].employment).toEqual([{ employerRef: 'ref(5)', employerSector: 'SECURITY', worksiteSector: 'HEALTH_CARE', start: '2020-04-01', end: '2020-06-30', hours: 300 }]);
    expect(JSON.stringify(out)).not.toContain('NEQ-1');
  });
  it('refuses bad periods by index, never quoting a value', () => {
    const bad = checkSubmission(
      [{ clientId: 'A-1', employment: [{ ...period, worksiteSector: 'CHSLD' }, { ...period, start: '2020-07-01' }, { ...period, hours: 24 * 91 + 1 }, { ...period, employerId: '' }, null as never] }],
      '2026-01-01',
      (c) => c,
      (e) => e,
    );
    expect(bad.rejected[0].reason).toBe(
      'employment[0].worksiteSector must be one of HEALTH_CARE, SOCIAL_ASSISTANCE, FOOD_SERVICES, SECURITY, CLEANING_MAINTENANCE, ADMINISTRATION, CONSTRUCTION, MANUFACTURING, AGRICULTURE, TRANSPORTATION, RETAIL, OTHER; employment[1].start must not be after its end; employment[2].hours exceeds 24 hours a day over the period; employment[3].employerId must be the employer\'s business number (1–64 characters); employment[4] is null',
    );
    const many = checkSubmission([{ clientId: 'A-1', employment: Array.from({ length: 51 }, () => period) }], '2026-01-01', (c) => c, (e) => e);
    expect(many.rejected[0].reason).toBe('employment holds more than 50 periods');
  });
});
