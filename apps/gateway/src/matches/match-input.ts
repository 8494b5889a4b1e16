import { isRfc3339, PROVINCES } from '@passerelle/messaging';
import { LANGUAGE_FITS, type LanguageFitValue } from '@passerelle/policy';
import type { MatchFilter, MatchRow, PageCursor } from './matches.repository';

/** Pure input checks of the matches feature: each bad input gets one specific message. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export function checkPageSize(first: number | null | undefined): Checked<number> {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) return { ok: false, reason: `first must be a whole number from 1 to ${MAX_PAGE_SIZE}` };
  return { ok: true, value: size };
}

export function checkMatchFilter(raw: { province?: string | null; nocCode?: string | null; minHourlyWageCents?: number | null; postedSince?: string | null; languageFit?: string | null } | null | undefined): Checked<MatchFilter> {
  const f: MatchFilter = {};
  if (!raw) return { ok: true, value: f };
  if (raw.province !== null && raw.province !== undefined) {
    if (!(PROVINCES as readonly string[]).includes(raw.province)) return { ok: false, reason: `filter.province must be one of ${PROVINCES.join(' ')}` };
    f.province = raw.province;
  }
  if (raw.nocCode !== null && raw.nocCode !== undefined) {
    if (!/^[0-9]{5}$/.test(raw.nocCode)) return { ok: false, reason: 'filter.nocCode must be a NOC 2021 code of exactly 5 digits' };
    f.nocCode = raw.nocCode;
  }
  if (raw.minHourlyWageCents !== null && raw.minHourlyWageCents !== undefined) {
    if (!Number.isInteger(raw.minHourlyWageCents) || raw.minHourlyWageCents < 0) return { ok: false, reason: 'filter.minHourlyWageCents must be a whole number of cents, 0 or more' };
    f.minHourlyWageCents = raw.minHourlyWageCents;
  }
  if (raw.postedSince !== null && raw.postedSince !== undefined) {
    const s = raw.postedSince;
    const valid = isRfc3339(s) || (DAY.test(s) && isRfc3339(`${s}T00:00:00Z`));
    if (!valid) return { ok: false, reason: 'filter.postedSince must be an RFC 3339 date-time with offset or a day YYYY-MM-DD' };
    f.postedSince = new Date(DAY.test(s) ? `${s}T00:00:00Z` : s);
  }
  if (raw.languageFit !== null && raw.languageFit !== undefined) {
    if (!(LANGUAGE_FITS as readonly string[]).includes(raw.languageFit)) return { ok: false, reason: `filter.languageFit must be one of ${LANGUAGE_FITS.join(' ')}` };
    f.languageFit = raw.languageFit as LanguageFitValue;
  }
  return { ok: true, value: f };
}

/** Does a match pass the filter? Tested in memory on matches the caller may see (never in SQL before consent). */
export function matchPasses(row: Pick<MatchRow, 'province' | 'nocCode' | 'hourlyWageCents' | 'postedAt' | 'matchedAt'>, f: MatchFilter): boolean {
  if (f.province !== undefined && row.province !== f.province) return false;
  if (f.nocCode !== undefined && row.nocCode !== f.nocCode) return false;
  if (f.minHourlyWageCents !== undefined && Number(row.hourlyWageCents) < f.minHourlyWageCents) return false;
  if (f.postedSince !== undefined && new Date(row.postedAt ?? row.matchedAt).getTime() < f.postedSince.getTime()) return false;
  return true;
}

/** A keyset position (time as the database wrote it, to the microsecond, and the row id) as one string for a sealed cursor. */
export function positionText(p: PageCursor): string {
  return JSON.stringify([p.at, p.id]);
}

export function positionFrom(text: string): PageCursor | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || !UUID.test(v[1])) return null;
    return { at: v[0], id: v[1] };
  } catch {
    return null;
  }
}

export function isMatchId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
