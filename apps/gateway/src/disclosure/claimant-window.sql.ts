import type { AccessMap, ClaimantFilter } from '../claimants/claimant-access';
import { CLAIMANT_FIELDS, type ClaimantField } from '../claimants/claimant-fields';

/**
 * SQL of the claimants listing's window: the same rules as the in-process path (claimant-access:
 * candidatesOf, mergeClaimant, matchesFilter), written as aggregates over one subject's records
 * (alias `m`, grouped by subject), so the walk of the window happens in one statement.
 */

/** "Record m holds a value of this field" exactly as candidatesOf reads a ProviderRecord (healthCareHours needs its period). */
const PRESENT: Record<ClaimantField, string> = {
  claimStatus: 'm.claim_status IS NOT NULL',
  claimDate: 'm.claim_date IS NOT NULL',
  province: 'm.province IS NOT NULL',
  workPermitExpiry: 'm.work_permit_expiry IS NOT NULL',
  nocCode: 'm.noc_code IS NOT NULL',
  sector: 'm.sector IS NOT NULL',
  healthCareHours: 'm.health_care_hours IS NOT NULL AND m.hours_period_start IS NOT NULL AND m.hours_period_end IS NOT NULL',
  frenchLevel: 'm.french_level IS NOT NULL',
  englishLevel: 'm.english_level IS NOT NULL',
};

/** The column a filter tests (for healthCareHours: the hours). */
const COLUMN: Record<ClaimantField, string> = {
  claimStatus: 'm.claim_status',
  claimDate: 'm.claim_date',
  province: 'm.province',
  workPermitExpiry: 'm.work_permit_expiry',
  nocCode: 'm.noc_code',
  sector: 'm.sector',
  healthCareHours: 'm.health_care_hours',
  frenchLevel: 'm.french_level',
  englishLevel: 'm.english_level',
};

/**
 * Conditions over the aggregate of one subject's records (appending values to `params`):
 * - `visible`: some record holds a value of a field whose agreement covers its provider
 *   (mergeClaimant would disclose at least one field once consent allows);
 * - each filtered field's MERGED value (newest supplied first, to the millisecond as JS compares;
 *   ties to the first provider id, byte order) among covering providers passes the filter.
 */
export function windowConditions(access: AccessMap, filter: ClaimantFilter, params: unknown[]): string[] {
  const p = (v: unknown) => `$${params.push(v)}`;
  const providersOf = new Map<ClaimantField, string>();
  const providers = (f: ClaimantField) => {
    let ref = providersOf.get(f);
    if (!ref) providersOf.set(f, (ref = p(access[f].providers)));
    return ref;
  };
  const covered = CLAIMANT_FIELDS.filter((f) => access[f].providers.length > 0);
  const conds = [covered.length ? `bool_or(${covered.map((f) => `(${PRESENT[f]} AND m.provider = ANY(${providers(f)}::text[]))`).join(' OR ')})` : 'false'];
  // One covering provider: a subject has at most one record of it (primary key), so no ordering is needed.
  const merged = (f: ClaimantField) =>
    access[f].providers.length === 1
      ? `min(${COLUMN[f]}) FILTER (WHERE ${PRESENT[f]} AND m.provider = ${p(access[f].providers[0])}::text)`
      : `(array_agg(${COLUMN[f]} ORDER BY date_trunc('milliseconds', m.supplied_at) DESC, m.provider COLLATE "C") FILTER (WHERE ${PRESENT[f]} AND m.provider = ANY(${providers(f)}::text[])))[1]`;
  if (filter.province !== undefined) conds.push(`${merged('province')} = ${p(filter.province)}::text`);
  if (filter.claimStatus !== undefined) conds.push(`${merged('claimStatus')} = ANY(${p(filter.claimStatus)}::text[])`);
  if (filter.nocCode !== undefined) conds.push(`${merged('nocCode')} = ANY(${p(filter.nocCode)}::text[])`);
  if (filter.sector !== undefined) conds.push(`${merged('sector')} = ${p(filter.sector)}::text`);
  if (filter.workPermitValidOn !== undefined) conds.push(`${merged('workPermitExpiry')} >= ${p(filter.workPermitValidOn)}::date`);
  if (filter.frenchLevelAtLeast !== undefined) conds.push(`${merged('frenchLevel')} >= ${p(filter.frenchLevelAtLeast)}::int`);
  if (filter.englishLevelAtLeast !== undefined) conds.push(`${merged('englishLevel')} >= ${p(filter.englishLevelAtLeast)}::int`);
  if (filter.healthCareHoursAtLeast !== undefined) conds.push(`${merged('healthCareHours')} >= ${p(filter.healthCareHoursAtLeast)}::int`);
  return conds;
}
