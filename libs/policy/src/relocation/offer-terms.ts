import { PROVINCE_CODES } from '../programs/program.types';

/**
 * A relocation offer: what a receiving province puts on the table for claimants who would settle
 * there. Pure checks only; the gateway stores and publishes what passes them.
 */
export const LANGUAGE_SUPPORT = ['EN', 'FR', 'EN_AND_FR'] as const;
export type LanguageSupport = (typeof LANGUAGE_SUPPORT)[number];

/** The closed list of settlement services an offer may promise. */
export const SETTLEMENT_SERVICES = [
  'HOUSING',
  'LANGUAGE_TRAINING',
  'EMPLOYMENT_SUPPORT',
  'CHILDCARE',
  'HEALTH_NAVIGATION',
  'TRANSPORTATION',
  'LEGAL_INFORMATION',
  'CREDENTIAL_RECOGNITION',
] as const;
export type SettlementService = (typeof SETTLEMENT_SERVICES)[number];

export const CONTACT_KINDS = ['EMAIL', 'PHONE', 'URL'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

export const OFFER_LIMITS = { regions: 20, regionLength: 100, nocCodes: 50, places: 100_000, services: SETTLEMENT_SERVICES.length, contactLength: 200, level: { min: 1, max: 12 } } as const;

export interface OfferTerms {
  /** regions of the offering province (e.g. "Moncton", "Greater Sudbury") */
  regions: string[];
  /** NOC 2021 codes of the occupations offered, 5 digits, no repeats */
  nocCodes: string[];
  places: number;
  /** YYYY-MM-DD, inclusive */
  periodStart: string;
  periodEnd: string;
  languageSupport: LanguageSupport;
  /** the language level an occupation asks of a claimant (NCLC for French, CLB for English), when any */
  minFrenchLevel: number | null;
  minEnglishLevel: number | null;
  settlementServices: SettlementService[];
  contact: { kind: ContactKind; value: string };
}

export type RawOfferTerms = {
  regions?: unknown;
  nocCodes?: unknown;
  places?: unknown;
  periodStart?: unknown;
  periodEnd?: unknown;
  languageSupport?: unknown;
  minFrenchLevel?: unknown;
  minEnglishLevel?: unknown;
  settlementServices?: unknown;
  contact?: unknown;
};

export type OfferCheck = { ok: true; value: OfferTerms } | { ok: false; reason: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NOC = /^[0-9]{5}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[a-z]{2,}$/i;
const PHONE = /^\+?[0-9][0-9 ().-]{6,24}$/;
const URL_HTTPS = /^https:\/\/[^\s<>]+$/;

function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function level(value: unknown, name: string): { ok: true; value: number | null } | { ok: false; reason: string } {
  if (value === null || value === undefined) return { ok: true, value: null };
  if (!Number.isInteger(value) || (value as number) < OFFER_LIMITS.level.min || (value as number) > OFFER_LIMITS.level.max) {
    return { ok: false, reason: `${name} must be a whole level from 1 to 12` };
  }
  return { ok: true, value: value as number };
}

/** Every bad term gets one specific reason, naming the term (never echoing its value). */
export function checkOfferTerms(raw: RawOfferTerms | null | undefined): OfferCheck {
  if (!raw || typeof raw !== 'object') return { ok: false, reason: 'offer terms are required' };
  const { regions, nocCodes, places, periodStart, periodEnd, languageSupport, settlementServices, contact } = raw;
  if (!Array.isArray(regions) || regions.length === 0 || regions.length > OFFER_LIMITS.regions) return { ok: false, reason: `regions must list 1 to ${OFFER_LIMITS.regions} regions` };
  if (!regions.every((r) => typeof r === 'string' && r.trim().length > 0 && r.length <= OFFER_LIMITS.regionLength)) return { ok: false, reason: `each region must be a name of 1 to ${OFFER_LIMITS.regionLength} characters` };
  if (new Set(regions.map((r: string) => r.trim().toLowerCase())).size !== regions.length) return { ok: false, reason: 'regions must not repeat' };
  if (!Array.isArray(nocCodes) || nocCodes.length === 0 || nocCodes.length > OFFER_LIMITS.nocCodes) return { ok: false, reason: `nocCodes must list 1 to ${OFFER_LIMITS.nocCodes} occupations` };
  if (!nocCodes.every((c) => typeof c === 'string' && NOC.test(c))) return { ok: false, reason: 'each of nocCodes must be a NOC 2021 code of exactly 5 digits' };
  if (new Set(nocCodes).size !== nocCodes.length) return { ok: false, reason: 'nocCodes must not repeat' };
  if (!Number.isInteger(places) || (places as number) < 1 || (places as number) > OFFER_LIMITS.places) return { ok: false, reason: `places must be a whole number from 1 to ${OFFER_LIMITS.places}` };
  if (!isDay(periodStart)) return { ok: false, reason: 'periodStart must be a day YYYY-MM-DD' };
  if (!isDay(periodEnd)) return { ok: false, reason: 'periodEnd must be a day YYYY-MM-DD' };
  if (periodEnd < periodStart) return { ok: false, reason: 'periodEnd must not be before periodStart' };
  if (!(LANGUAGE_SUPPORT as readonly unknown[]).includes(languageSupport)) return { ok: false, reason: `languageSupport must be one of ${LANGUAGE_SUPPORT.join(', ')}` };
  const french = level(raw.minFrenchLevel, 'minFrenchLevel (NCLC)');
  if (!french.ok) return french;
  const english = level(raw.minEnglishLevel, 'minEnglishLevel (CLB)');
  if (!english.ok) return english;
  if (!Array.isArray(settlementServices) || !settlementServices.every((s) => (SETTLEMENT_SERVICES as readonly unknown[]).includes(s))) {
    return { ok: false, reason: `settlementServices must be taken from ${SETTLEMENT_SERVICES.join(', ')}` };
  }
  if (new Set(settlementServices).size !== settlementServices.length) return { ok: false, reason: 'settlementServices must not repeat' };
  const c = contact as { kind?: unknown; value?: unknown } | null | undefined;
  if (!c || typeof c !== 'object' || !(CONTACT_KINDS as readonly unknown[]).includes(c.kind)) return { ok: false, reason: `contact.kind must be one of ${CONTACT_KINDS.join(', ')}` };
  const pattern = c.kind === 'EMAIL' ? EMAIL : c.kind === 'PHONE' ? PHONE : URL_HTTPS;
  if (typeof c.value !== 'string' || c.value.length > OFFER_LIMITS.contactLength || !pattern.test(c.value)) {
    return { ok: false, reason: `contact.value must be ${c.kind === 'EMAIL' ? 'an email address' : c.kind === 'PHONE' ? 'a phone number' : 'an https URL'} of the offering agency` };
  }
  return {
    ok: true,
    value: {
      regions: regions.map((r: string) => r.trim()),
      nocCodes: [...nocCodes] as string[],
      places: places as number,
      periodStart,
      periodEnd,
      languageSupport: languageSupport as LanguageSupport,
      minFrenchLevel: french.value,
      minEnglishLevel: english.value,
      settlementServices: [...settlementServices] as SettlementService[],
      contact: { kind: c.kind as ContactKind, value: c.value },
    },
  };
}

/** An offering agency's jurisdiction must be a province or territory (the federal level offers no settlement). */
export function isReceivingJurisdiction(jurisdiction: string | undefined): boolean {
  return typeof jurisdiction === 'string' && (PROVINCE_CODES as readonly string[]).includes(jurisdiction) && jurisdiction !== 'QC';
}
