import { languageFields, meetsLanguage, type LanguageRequirement } from './language-fit';

const req = (languageSupport: LanguageRequirement['languageSupport'], minFrenchLevel: number | null, minEnglishLevel: number | null): LanguageRequirement => ({ languageSupport, minFrenchLevel, minEnglishLevel });
const levels = [null, 1, 4, 5, 7, 12];

describe('language fit (CLB and NCLC)', () => {
  it('an offer without a minimum sets no condition and reads no level', () => {
    for (const s of ['EN', 'FR', 'EN_AND_FR'] as const) {
      expect(languageFields(req(s, null, null))).toEqual([]);
      for (const f of levels) for (const e of levels) expect(meetsLanguage(req(s, null, null), { french: f, english: e })).toBe(true);
    }
  });

  it('EN reads English only, FR French only, EN_AND_FR either (property over every level pair)', () => {
    for (const min of [1, 5, 7, 12]) {
      for (const f of levels) {
        for (const e of levels) {
          const en = e !== null && e >= min;
          const fr = f !== null && f >= min;
          expect(meetsLanguage(req('EN', null, min), { french: f, english: e })).toBe(en);
          expect(meetsLanguage(req('FR', min, null), { french: f, english: e })).toBe(fr);
          expect(meetsLanguage(req('EN_AND_FR', min, min), { french: f, english: e })).toBe(en || fr);
          // Monotone: a higher level never stops fitting.
          if (meetsLanguage(req('EN_AND_FR', min, min), { french: f, english: e }) && e !== null) expect(meetsLanguage(req('EN_AND_FR', min, min), { french: f, english: Math.min(12, e + 1) })).toBe(true);
        }
      }
    }
  });

  it('an untested language never meets a minimum; the unstated one of a bilingual offer asks any tested level', () => {
    expect(meetsLanguage(req('EN', null, 5), { french: 12, english: null })).toBe(false);
    expect(meetsLanguage(req('EN_AND_FR', null, 7), { french: 1, english: 4 })).toBe(true);
    expect(meetsLanguage(req('EN_AND_FR', null, 7), { french: null, english: 4 })).toBe(false);
    expect(languageFields(req('EN_AND_FR', null, 7))).toEqual(['frenchLevel', 'englishLevel']);
  });
});
