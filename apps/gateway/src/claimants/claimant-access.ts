import type { Agreement, Purpose } from '@passerelle/registry';
import { agreementInForce } from '@passerelle/registry';
import type { DisclosureCandidate, DisclosureReason, Verdict } from '@passerelle/policy';
import { CLAIM_STATUSES, CLAIMANT_FIELDS, PROVINCES, SECTORS, type ClaimantField, type ClaimantValues, type ClaimStatus, type ProviderRecord, type Province, type Sector } from './claimant-fields';
import { isIsoDate } from './claimant-validation';

/**
 * Who may see what, and the per-field merge across providers. Pure.
 *
 * Merge rule (docs/pseudonyms.md): for each field, the value shown is the most recently
 * supplied non-null value among the providers whose agreement with the caller, in force now,
 * covers that field for the request's purpose AND for which Decisions.Decide permits the
 * (subject, field, provider) candidate (consent included). Ties on supply time go to the
 * provider id first in alphabetical order. A field with no permitted value is null; it is listed
 * as withheld (with the reason) when a value exists but was refused, or when no agreement covers
 * the field at all (so that the caller learns nothing about what providers hold).
 */
export interface FieldAccess {
  /** providers whose in-force agreement with the caller covers this field for the purpose */
  providers: readonly string[];
  /** why the field is out of reach when `providers` is empty */
  reason: DisclosureReason;
}

export type AccessMap = Record<ClaimantField, FieldAccess>;

/**
 * Pre-computes, from the registry's agreements, which providers may disclose each field to
 * `consumer` for `purpose` at `at`. Used to restrict reads to covering providers and filters to covered fields; Decide remains
 * the authority per subject (consent).
 */
export function fieldAccess(agreements: readonly Agreement[], consumer: string, purpose: Purpose | string, at: Date): AccessMap {
  const toConsumer = agreements.filter((a) => a.consumer === consumer);
  const inForce = toConsumer.filter((a) => agreementInForce(a, at));
  const forPurpose = inForce.filter((a) => (a.purposes as readonly string[]).includes(purpose));
  const baseReason: DisclosureReason =
    toConsumer.length === 0 ? 'no_agreement' : inForce.length === 0 ? 'agreement_not_in_force' : forPurpose.length === 0 ? 'purpose_not_covered' : 'field_not_covered';
  const out = {} as AccessMap;
  for (const field of CLAIMANT_FIELDS) {
    const providers = [...new Set(forPurpose.filter((a) => (a.fields as readonly string[]).includes(field)).map((a) => a.provider))].sort();
    out[field] = { providers, reason: providers.length > 0 ? 'ok' : baseReason };
  }
  return out;
}

/** Every provider that may disclose at least one field: reads never touch rows of others. */
export function readableProviders(access: AccessMap): string[] {
  return [...new Set(CLAIMANT_FIELDS.flatMap((f) => access[f].providers))].sort();
}

/** The Decide candidates of some records: each (subject, field, provider) with a value the agreements allow. */
export function candidatesOf(records: readonly ProviderRecord[], access: AccessMap): DisclosureCandidate[] {
  const out: DisclosureCandidate[] = [];
  for (const r of records) {
    for (const field of CLAIMANT_FIELDS) {
      if (r.values[field] !== undefined && access[field].providers.includes(r.provider)) out.push({ subject: r.subject, field, provider: r.provider });
    }
  }
  return out;
}

export interface Provenance {
  field: ClaimantField;
  provider: string;
  suppliedAt: Date;
}

export interface Withheld {
  field: ClaimantField;
  reason: DisclosureReason;
}

export interface MergedClaimant {
  subject: string;
  values: ClaimantValues;
  provenance: Provenance[];
  withheld: Withheld[];
}

/** Newest first; equal times by provider id ascending. */
function byRecency(a: ProviderRecord, b: ProviderRecord): number {
  const dt = b.suppliedAt.getTime() - a.suppliedAt.getTime();
  return dt !== 0 ? dt : a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0;
}

/**
 * Merges one subject's records per field (rule above). `verdictOf` answers for a candidate;
 * a candidate without a verdict counts as refused (never disclose by default).
 */
export function mergeClaimant(subject: string, records: readonly ProviderRecord[], access: AccessMap, verdictOf: (c: DisclosureCandidate) => Verdict | undefined): MergedClaimant {
  const ordered = records.filter((r) => r.subject === subject).sort(byRecency);
  const merged: MergedClaimant = { subject, values: {}, provenance: [], withheld: [] };
  for (const field of CLAIMANT_FIELDS) {
    const { providers, reason } = access[field];
    if (providers.length === 0) {
      merged.withheld.push({ field, reason });
      continue;
    }
    let firstRefusal: DisclosureReason | undefined;
    let disclosed = false;
    for (const r of ordered) {
      if (r.values[field] === undefined || !providers.includes(r.provider)) continue;
      const verdict = verdictOf({ subject, field, provider: r.provider });
      if (verdict?.permit) {
        (merged.values as Record<string, unknown>)[field] = r.values[field];
        merged.provenance.push({ field, provider: r.provider, suppliedAt: r.suppliedAt });
        disclosed = true;
        break;
      }
      firstRefusal ??= verdict?.reason ?? 'no_agreement';
    }
    if (!disclosed && firstRefusal) merged.withheld.push({ field, reason: firstRefusal });
  }
  return merged;
}

/** Fields actually disclosed in a merged record. */
export function disclosedFields(m: MergedClaimant): ClaimantField[] {
  return m.provenance.map((p) => p.field);
}

// ------------------------------------------------------------------ filters

export interface ClaimantFilter {
  province?: Province;
  claimStatus?: ClaimStatus[];
  nocCode?: string[];
  sector?: Sector;
  /** work permit valid on this day: workPermitExpiry ≥ it */
  workPermitValidOn?: string;
  frenchLevelAtLeast?: number;
  englishLevelAtLeast?: number;
  healthCareHoursAtLeast?: number;
}

export interface RawClaimantFilter {
  province?: string | null;
  claimStatus?: (string | null)[] | null;
  nocCode?: (string | null)[] | null;
  sector?: string | null;
  workPermitValidOn?: string | null;
  frenchLevelAtLeast?: number | null;
  englishLevelAtLeast?: number | null;
  healthCareHoursAtLeast?: number | null;
}

/** The claimant field each filter reads. */
export const FILTER_FIELD: Record<keyof ClaimantFilter, ClaimantField> = {
  province: 'province',
  claimStatus: 'claimStatus',
  nocCode: 'nocCode',
  sector: 'sector',
  workPermitValidOn: 'workPermitExpiry',
  frenchLevelAtLeast: 'frenchLevel',
  englishLevelAtLeast: 'englishLevel',
  healthCareHoursAtLeast: 'healthCareHours',
};

const MAX_SET = 100;

/** Validates a filter; every problem is named (filter values are not identifiers but are not quoted either). */
export function checkFilter(raw: RawClaimantFilter | null | undefined): { ok: true; filter: ClaimantFilter } | { ok: false; reason: string } {
  const filter: ClaimantFilter = {};
  const problems: string[] = [];
  if (!raw) return { ok: true, filter };
  const set = <T extends string>(name: 'claimStatus' | 'nocCode', v: (string | null)[] | null | undefined, ok: (s: string) => boolean, what: string): T[] | undefined => {
    if (v === null || v === undefined) return undefined;
    if (v.length === 0 || v.length > MAX_SET) problems.push(`filter.${name} must list 1 to ${MAX_SET} values`);
    else if (!v.every((s) => s !== null && ok(s))) problems.push(`filter.${name} values must each be ${what}`);
    else return [...new Set(v as string[])] as T[];
    return undefined;
  };
  if (raw.province !== null && raw.province !== undefined) {
    if ((PROVINCES as readonly string[]).includes(raw.province)) filter.province = raw.province as Province;
    else problems.push(`filter.province must be one of ${PROVINCES.join(', ')}`);
  }
  const statuses = set<ClaimStatus>('claimStatus', raw.claimStatus, (s) => (CLAIM_STATUSES as readonly string[]).includes(s), `one of ${CLAIM_STATUSES.join(', ')}`);
  if (statuses) filter.claimStatus = statuses;
  const nocs = set<string>('nocCode', raw.nocCode, (s) => /^[0-9]{5}$/.test(s), 'a NOC 2021 code of 5 digits');
  if (nocs) filter.nocCode = nocs;
  if (raw.sector !== null && raw.sector !== undefined) {
    if ((SECTORS as readonly string[]).includes(raw.sector)) filter.sector = raw.sector as Sector;
    else problems.push(`filter.sector must be one of ${SECTORS.join(', ')}`);
  }
  if (raw.workPermitValidOn !== null && raw.workPermitValidOn !== undefined) {
    if (isIsoDate(raw.workPermitValidOn)) filter.workPermitValidOn = raw.workPermitValidOn;
    else problems.push('filter.workPermitValidOn must be a date written YYYY-MM-DD');
  }
  if (raw.frenchLevelAtLeast !== null && raw.frenchLevelAtLeast !== undefined) {
    if (Number.isInteger(raw.frenchLevelAtLeast) && raw.frenchLevelAtLeast >= 1 && raw.frenchLevelAtLeast <= 12) filter.frenchLevelAtLeast = raw.frenchLevelAtLeast;
    else problems.push('filter.frenchLevelAtLeast must be a whole NCLC level from 1 to 12');
  }
  if (raw.englishLevelAtLeast !== null && raw.englishLevelAtLeast !== undefined) {
    if (Number.isInteger(raw.englishLevelAtLeast) && raw.englishLevelAtLeast >= 1 && raw.englishLevelAtLeast <= 12) filter.englishLevelAtLeast = raw.englishLevelAtLeast;
    else problems.push('filter.englishLevelAtLeast must be a whole CLB level from 1 to 12');
  }
  if (raw.healthCareHoursAtLeast !== null && raw.healthCareHoursAtLeast !== undefined) {
    if (Number.isInteger(raw.healthCareHoursAtLeast) && raw.healthCareHoursAtLeast >= 0) filter.healthCareHoursAtLeast = raw.healthCareHoursAtLeast;
    else problems.push('filter.healthCareHoursAtLeast must be a whole number of hours, 0 or more');
  }
  return problems.length > 0 ? { ok: false, reason: problems.join('; ') } : { ok: true, filter };
}

/** The fields a filter reads. */
export function filteredFields(filter: ClaimantFilter): ClaimantField[] {
  return (Object.keys(filter) as (keyof ClaimantFilter)[]).filter((k) => filter[k] !== undefined).map((k) => FILTER_FIELD[k]);
}

/** Does a merged (disclosed) record satisfy the filter? A filtered field that is not disclosed never matches. */
export function matchesFilter(values: ClaimantValues, filter: ClaimantFilter): boolean {
  if (filter.province !== undefined && values.province !== filter.province) return false;
  if (filter.claimStatus !== undefined && (values.claimStatus === undefined || !filter.claimStatus.includes(values.claimStatus))) return false;
  if (filter.nocCode !== undefined && (values.nocCode === undefined || !filter.nocCode.includes(values.nocCode))) return false;
  if (filter.sector !== undefined && values.sector !== filter.sector) return false;
  if (filter.workPermitValidOn !== undefined && (values.workPermitExpiry === undefined || values.workPermitExpiry < filter.workPermitValidOn)) return false;
  if (filter.frenchLevelAtLeast !== undefined && (values.frenchLevel === undefined || values.frenchLevel < filter.frenchLevelAtLeast)) return false;
  if (filter.englishLevelAtLeast !== undefined && (values.englishLevel === undefined || values.englishLevel < filter.englishLevelAtLeast)) return false;
  if (filter.healthCareHoursAtLeast !== undefined && (values.healthCareHours === undefined || values.healthCareHours.hours < filter.healthCareHoursAtLeast)) return false;
  return true;
}
