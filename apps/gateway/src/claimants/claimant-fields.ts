import { CLAIMANT_FIELDS, type ClaimantField } from '@passerelle/registry';

/**
 * The claimant vocabulary (DOMAIN.md), defined once: validation, storage (the CHECK constraints
 * of migration 1795450000000-claimant-records mirror these lists; a unit test keeps them equal)
 * and the GraphQL enums.
 */
export { CLAIMANT_FIELDS, type ClaimantField };

export const CLAIM_STATUSES = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** The 10 provinces and 3 territories (Canada Post codes). */
export const PROVINCES = ['AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT'] as const;
export type Province = (typeof PROVINCES)[number];

/**
 * Sector of the claimant's employer (not the occupation: a kitchen helper, NOC 65201, in a
 * hospital is HEALTH_CARE). HEALTH_CARE covers hospitals, long-term care homes (CHSLD) and
 * the health network; SOCIAL_ASSISTANCE covers home care and social services outside it.
 * Security guards count as health-care roles for the 2020 measure only when the employer is in
 * HEALTH_CARE; SECURITY is security work for other employers.
 */
export const SECTORS = [
  'HEALTH_CARE',
  'SOCIAL_ASSISTANCE',
  'FOOD_SERVICES',
  'SECURITY',
  'CLEANING_MAINTENANCE',
  'ADMINISTRATION',
  'CONSTRUCTION',
  'MANUFACTURING',
  'AGRICULTURE',
  'TRANSPORTATION',
  'RETAIL',
  'OTHER',
] as const;
export type Sector = (typeof SECTORS)[number];

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
}

/** One provider's current record about one subject (as stored, internal id only). */
export interface ProviderRecord {
  subject: string;
  provider: string;
  suppliedAt: Date;
  version: number;
  values: ClaimantValues;
}
