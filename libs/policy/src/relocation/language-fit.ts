import type { LanguageSupport } from './offer-terms';

/**
 * Does a claimant's tested language fit an offer? English on the CLB scale, French on NCLC, both
 * 1–12, as supplied by the agencies that test them (unknown = not tested = does not meet). Pure.
 *
 * - An offer that states no minimum sets no language condition.
 * - Otherwise the claimant must meet a supported language: EN → English, FR → French, EN_AND_FR →
 *   either. A supported language's threshold is its stated minimum, or any tested level (1) when
 *   only the other language's minimum is stated.
 */
export interface LanguageRequirement {
  languageSupport: LanguageSupport;
  minFrenchLevel: number | null;
  minEnglishLevel: number | null;
}

export interface LanguageLevels {
  french: number | null;
  english: number | null;
}

export function hasLanguageCondition(req: LanguageRequirement): boolean {
  return req.minFrenchLevel !== null || req.minEnglishLevel !== null;
}

/** The claimant fields a fit decision reads (to be disclosable to the offering province). */
export function languageFields(req: LanguageRequirement): Array<'frenchLevel' | 'englishLevel'> {
  if (!hasLanguageCondition(req)) return [];
  if (req.languageSupport === 'EN') return ['englishLevel'];
  if (req.languageSupport === 'FR') return ['frenchLevel'];
  return ['frenchLevel', 'englishLevel'];
}

export function meetsLanguage(req: LanguageRequirement, levels: LanguageLevels): boolean {
  if (!hasLanguageCondition(req)) return true;
  const english = levels.english !== null && levels.english >= (req.minEnglishLevel ?? 1);
  const french = levels.french !== null && levels.french >= (req.minFrenchLevel ?? 1);
  if (req.languageSupport === 'EN') return english;
  if (req.languageSupport === 'FR') return french;
  return english || french;
}
