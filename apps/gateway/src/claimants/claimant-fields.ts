import { CLAIM_STATUS_VALUES, PROVINCE_CODES, SECTOR_VALUES, type ClaimStatusValue, type ProvinceCode, type SectorValue } from '@passerelle/policy';
import { CLAIMANT_FIELDS, type ClaimantField } from '@passerelle/registry';

/**
 * The claimant vocabulary (DOMAIN.md), defined once: validation, storage (the CHECK constraints
 * of migration 1795450000000-claimant-records mirror these lists; a unit test keeps them equal)
 * and the GraphQL enums.
 */
export { CLAIMANT_FIELDS, type ClaimantField };

// The vocabulary itself lives once in @passerelle/policy (programs' rules read the same values).
export const CLAIM_STATUSES = CLAIM_STATUS_VALUES;
export type ClaimStatus = ClaimStatusValue;

/** The 10 provinces and 3 territories (Canada Post codes). */
export const PROVINCES = PROVINCE_CODES;
export type Province = ProvinceCode;

/**
 * Sector of the claimant's employer (not the occupation: a kitchen helper, NOC 65201, in a
 * hospital is HEALTH_CARE). HEALTH_CARE covers hospitals, long-term care homes (CHSLD) and
 * the health network; SOCIAL_ASSISTANCE covers home care and social services outside it.
 * Security guards count as health-care roles for the 2020 measure only when the employer is in
 * HEALTH_CARE; SECURITY is security work for other employers.
 */
export const SECTORS = SECTOR_VALUES;
export type Sector = SectorValue;

export const MAX_RECORDS_PER_SUBMISSION = 10_000;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;

/** Health-care hours travel with their period: one agreement field, three values. */
export interface HealthCareHours {
  hours: number;
  periodStart: string;
  periodEnd: string;
}

/** The values of one record, by contract field name; absent = the provider does not hold it. */
export interface ClaimantValues {
  claimStatus?: ClaimStatus;
  claimDate?: string;
  province?: Province;
  workPermitExpiry?: string;
  nocCode?: string;
  sector?: Sector;
  healthCareHours?: HealthCareHours;
  frenchLevel?: number;
  /** CLB 1–12 */
  englishLevel?: number;
}

/** One provider's current record about one subject (as stored, internal id only). */
export interface ProviderRecord {
  subject: string;
  provider: string;
  suppliedAt: Date;
  version: number;
  values: ClaimantValues;
}
