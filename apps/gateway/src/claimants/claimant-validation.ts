import { normaliseClientId } from '@passerelle/crypto';
import { CLAIM_STATUSES, PROVINCES, SECTORS, type ClaimantValues, type ClaimStatus, type Province, type Sector } from './claimant-fields';

/**
 * Validation of submitted claimant records. Pure. Every GraphQL input field is a permissive
 * scalar (String / Int) so that GraphQL's own coercion never quotes a value in an error; the
 * rules live here instead, and a reason NEVER quotes the submitted value (a misplaced column
 * could carry a client id into any field).
 */
export interface RawClaimantInput {
  clientId?: string | null;
  claimStatus?: string | null;
  claimDate?: string | null;
  province?: string | null;
  workPermitExpiry?: string | null;
  nocCode?: string | null;
  sector?: string | null;
  healthCareHours?: number | null;
  hoursPeriodStart?: string | null;
  hoursPeriodEnd?: string | null;
  frenchLevel?: number | null;
  englishLevel?: number | null;
  /** health-care employment periods (issue 17); replaces the provider's previous periods about the claimant */
  employment?: ReadonlyArray<RawEmploymentPeriod | null> | null;
}

export interface RawEmploymentPeriod {
  employerId?: string | null;
  employerSector?: string | null;
  worksiteSector?: string | null;
  start?: string | null;
  end?: string | null;
  hours?: number | null;
}

/** A checked period; the employer's id goes no further than checkSubmission (turned into a keyed reference). */
export interface CheckedPeriod {
  employerId: string;
  employerSector: Sector;
  worksiteSector: Sector;
  start: string;
  end: string;
  hours: number;
}

/** A period as stored: the employer as a keyed reference. */
export interface EmploymentToStore extends Omit<CheckedPeriod, 'employerId'> {
  employerRef: string;
}

export const MAX_PERIODS_PER_RECORD = 50;
const MAX_EMPLOYER_ID_LENGTH = 64;

export type RecordCheck = { ok: true; clientId: string; values: ClaimantValues; employment?: CheckedPeriod[] } | { ok: false; reason: string };

export const MAX_CLIENT_ID_LENGTH = 128;
const MIN_DATE = '1900-01-01';
const MAX_DATE = '2100-12-31';
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/** A real calendar date written YYYY-MM-DD, between 1900-01-01 and 2100-12-31. */
export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value && value >= MIN_DATE && value <= MAX_DATE;
}

/** Days from start to end inclusive (both valid ISO dates, start ≤ end). */
export function daysInclusive(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}

function oneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

/**
 * Checks one record. `today` (YYYY-MM-DD, UTC) bounds dates that cannot be in the future.
 * All problems of the record are reported, in field order, joined by "; ".
 */
export function checkClaimantRecord(raw: RawClaimantInput | null | undefined, today: string): RecordCheck {
  if (!raw || typeof raw !== 'object') return { ok: false, reason: 'record is null' };
  const problems: string[] = [];
  const values: ClaimantValues = {};

  let clientId = '';
  if (!present(raw.clientId)) problems.push('clientId is missing');
  else if (typeof raw.clientId !== 'string') problems.push('clientId must be a string');
  else if (raw.clientId.length > MAX_CLIENT_ID_LENGTH) problems.push(`clientId is longer than ${MAX_CLIENT_ID_LENGTH} characters`);
  else if (CONTROL.test(raw.clientId)) problems.push('clientId contains control characters');
  else if (normaliseClientId(raw.clientId) === '') problems.push('clientId is empty (only spaces or separators)');
  else clientId = raw.clientId;

  if (present(raw.claimStatus)) {
    if (oneOf(CLAIM_STATUSES, raw.claimStatus)) values.claimStatus = raw.claimStatus as ClaimStatus;
    else problems.push(`claimStatus must be one of ${CLAIM_STATUSES.join(', ')}`);
  }
  const date = (field: 'claimDate' | 'workPermitExpiry' | 'hoursPeriodStart' | 'hoursPeriodEnd', notAfterToday: boolean): string | undefined => {
    const v = raw[field];
    if (!present(v)) return undefined;
    if (typeof v !== 'string' || !isIsoDate(v)) {
      problems.push(`${field} must be a date written YYYY-MM-DD between ${MIN_DATE} and ${MAX_DATE}`);
      return undefined;
    }
    if (notAfterToday && v > today) {
      problems.push(`${field} must not be in the future`);
      return undefined;
    }
    return v;
  };
  const claimDate = date('claimDate', true);
  if (claimDate) values.claimDate = claimDate;
  if (present(raw.province)) {
    if (oneOf(PROVINCES, raw.province)) values.province = raw.province as Province;
    else problems.push(`province must be a province or territory code: ${PROVINCES.join(', ')}`);
  }
  const expiry = date('workPermitExpiry', false);
  if (expiry) values.workPermitExpiry = expiry;
  if (present(raw.nocCode)) {
    if (typeof raw.nocCode === 'string' && /^[0-9]{5}$/.test(raw.nocCode)) values.nocCode = raw.nocCode;
    else problems.push('nocCode must be a NOC 2021 code of 5 digits');
  }
  if (present(raw.sector)) {
    if (oneOf(SECTORS, raw.sector)) values.sector = raw.sector as Sector;
    else problems.push(`sector must be one of ${SECTORS.join(', ')}`);
  }

  const start = date('hoursPeriodStart', true);
  const end = date('hoursPeriodEnd', true);
  const hoursGiven = present(raw.healthCareHours);
  if (hoursGiven) {
    const h = raw.healthCareHours as number;
    if (!Number.isInteger(h) || h < 0) problems.push('healthCareHours must be a whole number of hours, 0 or more');
    else if (!present(raw.hoursPeriodStart) || !present(raw.hoursPeriodEnd)) problems.push('healthCareHours needs hoursPeriodStart and hoursPeriodEnd');
    else if (start && end) {
      if (start > end) problems.push('hoursPeriodStart must not be after hoursPeriodEnd');
      else if (h > 24 * daysInclusive(start, end)) problems.push('healthCareHours exceeds 24 hours a day over the period');
      else values.healthCareHours = { hours: h, periodStart: start, periodEnd: end };
    }
  } else if (present(raw.hoursPeriodStart) || present(raw.hoursPeriodEnd)) {
    problems.push('hoursPeriodStart and hoursPeriodEnd are only accepted with healthCareHours');
  }

  if (present(raw.frenchLevel)) {
    const f = raw.frenchLevel;
    if (Number.isInteger(f) && f >= 1 && f <= 12) values.frenchLevel = f;
    else problems.push('frenchLevel must be a whole NCLC level from 1 to 12');
  }

  if (present(raw.englishLevel)) {
    const e = raw.englishLevel;
    if (Number.isInteger(e) && e >= 1 && e <= 12) values.englishLevel = e;
    else problems.push('englishLevel must be a whole CLB level from 1 to 12');
  }

  const employment = present(raw.employment) ? checkPeriods(raw.employment, today, problems) : undefined;

  if (problems.length === 0 && Object.keys(values).length === 0 && employment === undefined) problems.push('record holds no field besides clientId');
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  return employment === undefined ? { ok: true, clientId, values } : { ok: true, clientId, values, employment };
}

/** Checks employment periods; problems name the period by its index, never quoting a value. */
function checkPeriods(raw: unknown, today: string, problems: string[]): CheckedPeriod[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push('employment must be a list of periods');
    return undefined;
  }
  if (raw.length > MAX_PERIODS_PER_RECORD) {
    problems.push(`employment holds more than ${MAX_PERIODS_PER_RECORD} periods`);
    return undefined;
  }
  const out: CheckedPeriod[] = [];
  raw.forEach((p: RawEmploymentPeriod | null, i) => {
    const at = `employment[${i}]`;
    if (!p || typeof p !== 'object') return void problems.push(`${at} is null`);
    const before = problems.length;
    const id = p.employerId;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EMPLOYER_ID_LENGTH || CONTROL.test(id) || normaliseClientId(id) === '') {
      problems.push(`${at}.employerId must be the employer's business number (1–${MAX_EMPLOYER_ID_LENGTH} characters)`);
    }
    for (const f of ['employerSector', 'worksiteSector'] as const) {
      if (typeof p[f] !== 'string' || !oneOf(SECTORS, p[f] as string)) problems.push(`${at}.${f} must be one of ${SECTORS.join(', ')}`);
    }
    for (const f of ['start', 'end'] as const) {
      const v = p[f];
      if (typeof v !== 'string' || !isIsoDate(v)) problems.push(`${at}.${f} must be a date written YYYY-MM-DD between ${MIN_DATE} and ${MAX_DATE}`);
      else if (v > today) problems.push(`${at}.${f} must not be in the future`);
    }
    if (problems.length === before && (p.start as string) > (p.end as string)) problems.push(`${at}.start must not be after its end`);
    if (!Number.isInteger(p.hours) || (p.hours as number) < 0) problems.push(`${at}.hours must be a whole number of hours, 0 or more`);
    else if (problems.length === before && (p.hours as number) > 24 * daysInclusive(p.start as string, p.end as string)) problems.push(`${at}.hours exceeds 24 hours a day over the period`);
    if (problems.length === before) {
      out.push({ employerId: id as string, employerSector: p.employerSector as Sector, worksiteSector: p.worksiteSector as Sector, start: p.start as string, end: p.end as string, hours: p.hours as number });
    }
  });
  return out;
}

export interface CheckedSubmission {
  accepted: Array<{ index: number; subject: string; values: ClaimantValues; employment?: EmploymentToStore[] }>;
  rejected: Array<{ index: number; reason: string }>;
}

/**
 * Checks a whole submission: each record, then duplicates (two records about the same person,
 * after normalisation, in one call: the later ones are refused naming the first index).
 * `toSubject` turns a client id into the internal id; the client id goes no further.
 */
export function checkSubmission(
  records: readonly (RawClaimantInput | null | undefined)[],
  today: string,
  toSubject: (clientId: string) => string,
  toEmployer: (employerId: string) => string = () => {
    throw new Error('employment periods need an employer key');
  },
): CheckedSubmission {
  const out: CheckedSubmission = { accepted: [], rejected: [] };
  const firstIndex = new Map<string, number>();
  records.forEach((raw, index) => {
    const check = checkClaimantRecord(raw, today);
    if (!check.ok) {
      out.rejected.push({ index, reason: check.reason });
      return;
    }
    const subject = toSubject(check.clientId);
    const first = firstIndex.get(subject);
    if (first !== undefined) {
      out.rejected.push({ index, reason: `same claimant as the record at index ${first}: send one record per claimant` });
      return;
    }
    firstIndex.set(subject, index);
    if (check.employment === undefined) out.accepted.push({ index, subject, values: check.values });
    else out.accepted.push({ index, subject, values: check.values, employment: check.employment.map(({ employerId, ...p }) => ({ ...p, employerRef: toEmployer(employerId) })) });
  });
  return out;
}
