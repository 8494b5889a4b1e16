/**
 * Does a claimant's tested language fit a job-bank posting's requirement (issue 16)? Three-valued,
 * because the caller may not be allowed to see a level. Pure.
 *
 * A posting names the language(s) it requires (EN, FR, EN_OR_FR, EN_AND_FR) and may state minimum
 * levels: English on CLB, French on NCLC, 1–12. As for offers (language-fit.ts): no minimum stated
 * sets no condition (MEETS); a required language without its own minimum asks any tested level.
 *
 * Levels are `number` (tested), `null` (not tested: does not meet) or WITHHELD (the caller may not
 * see it). The answer is Kleene logic over what is visible, so it is the same whatever a withheld
 * level is: a withheld level the answer depends on gives UNDETERMINED, and never leaks.
 */
export const POSTING_LANGUAGES = ['EN', 'FR', 'EN_OR_FR', 'EN_AND_FR'] as const;
export type PostingLanguages = (typeof POSTING_LANGUAGES)[number];
export const LANGUAGE_FITS = ['MEETS', 'DOES_NOT_MEET', 'UNDETERMINED'] as const;
export type LanguageFitValue = (typeof LANGUAGE_FITS)[number];
export const WITHHELD = 'WITHHELD' as const;
export type SeenLevel = number | null | typeof WITHHELD;

export interface PostingLanguageRequirement {
  languages: PostingLanguages;
  minEnglishClb: number | null;
  minFrenchNclc: number | null;
}

export interface SeenLevels {
  english: SeenLevel;
  french: SeenLevel;
}

export function hasPostingLevelCondition(req: PostingLanguageRequirement): boolean {
  return req.minEnglishClb !== null || req.minFrenchNclc !== null;
}

/** The claimant level fields the fit reads (to be disclosable to the caller); [] without a condition. */
export function postingLanguageFields(req: PostingLanguageRequirement): Array<'frenchLevel' | 'englishLevel'> {
  if (!hasPostingLevelCondition(req)) return [];
  if (req.languages === 'EN') return ['englishLevel'];
  if (req.languages === 'FR') return ['frenchLevel'];
  return ['frenchLevel', 'englishLevel'];
}

type Tri = boolean | undefined;

function meets(level: SeenLevel, min: number | null): Tri {
  if (level === WITHHELD) return undefined;
  return level !== null && level >= (min ?? 1);
}

const or = (a: Tri, b: Tri): Tri => (a === true || b === true ? true : a === false && b === false ? false : undefined);
const and = (a: Tri, b: Tri): Tri => (a === false || b === false ? false : a === true && b === true ? true : undefined);

export function postingLanguageFit(req: PostingLanguageRequirement, levels: SeenLevels): LanguageFitValue {
  if (!hasPostingLevelCondition(req)) return 'MEETS';
  const en = meets(levels.english, req.minEnglishClb);
  const fr = meets(levels.french, req.minFrenchNclc);
  const fit = req.languages === 'EN' ? en : req.languages === 'FR' ? fr : req.languages === 'EN_OR_FR' ? or(en, fr) : and(en, fr);
  return fit === undefined ? 'UNDETERMINED' : fit ? 'MEETS' : 'DOES_NOT_MEET';
}

/** One minimum level as a posting may state it: absent, or a whole level 1–12. */
export function isLanguageLevel(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 12;
}
