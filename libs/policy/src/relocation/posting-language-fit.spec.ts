import fc from 'fast-check';
import { isLanguageLevel, POSTING_LANGUAGES, postingLanguageFields, postingLanguageFit, WITHHELD, type PostingLanguageRequirement, type SeenLevel } from './posting-language-fit';

const req = (languages: PostingLanguageRequirement['languages'], minEnglishClb: number | null, minFrenchNclc: number | null): PostingLanguageRequirement => ({ languages, minEnglishClb, minFrenchNclc });
const arbLevel = fc.option(fc.integer({ min: 1, max: 12 }), { nil: null });
const arbSeen: fc.Arbitrary<SeenLevel> = fc.oneof(arbLevel, fc.constant(WITHHELD));
const arbReq = fc.record({ languages: fc.constantFrom(...POSTING_LANGUAGES), minEnglishClb: arbLevel, minFrenchNclc: arbLevel });

describe('posting language fit (CLB and NCLC, three-valued)', () => {
  it('a posting without a minimum sets no condition: MEETS, reading no level', () => {
    fc.assert(fc.property(fc.constantFrom(...POSTING_LANGUAGES), arbSeen, arbSeen, (languages, english, french) => {
      expect(postingLanguageFit(req(languages, null, null), { english, french })).toBe('MEETS');
      expect(postingLanguageFields(req(languages, null, null))).toEqual([]);
    }));
  });

  it('EN reads English, FR French, EN_OR_FR either, EN_AND_FR both, on visible levels', () => {
    expect(postingLanguageFit(req('EN', 6, null), { english: 7, french: null })).toBe('MEETS');
    expect(postingLanguageFit(req('EN', 6, null), { english: 5, french: 12 })).toBe('DOES_NOT_MEET');
    expect(postingLanguageFit(req('FR', null, 7), { english: 12, french: null })).toBe('DOES_NOT_MEET');
    expect(postingLanguageFit(req('FR', null, 7), { english: null, french: 9 })).toBe('MEETS');
    expect(postingLanguageFit(req('EN_OR_FR', 6, 7), { english: 5, french: 9 })).toBe('MEETS');
    expect(postingLanguageFit(req('EN_AND_FR', 6, 7), { english: 5, french: 9 })).toBe('DOES_NOT_MEET');
    expect(postingLanguageFit(req('EN_AND_FR', 6, 7), { english: 6, french: 7 })).toBe('MEETS');
    // The required language without its own minimum asks any tested level.
    expect(postingLanguageFit(req('EN_AND_FR', 6, null), { english: 6, french: 1 })).toBe('MEETS');
    expect(postingLanguageFit(req('EN_AND_FR', 6, null), { english: 6, french: null })).toBe('DOES_NOT_MEET');
  });

  it('a withheld level the answer depends on gives UNDETERMINED', () => {
    expect(postingLanguageFit(req('FR', null, 7), { english: 12, french: WITHHELD })).toBe('UNDETERMINED');
    expect(postingLanguageFit(req('EN_AND_FR', 6, 7), { english: 8, french: WITHHELD })).toBe('UNDETERMINED');
    expect(postingLanguageFit(req('EN_OR_FR', 6, 7), { english: 5, french: WITHHELD })).toBe('UNDETERMINED');
  });

  it('never leaks a withheld level: the answer is the same whatever the withheld level is (property)', () => {
    fc.assert(fc.property(arbReq, arbSeen, arbLevel, arbLevel, (r, english, a, b) => {
      expect(postingLanguageFit(r, { english, french: a })).toBe(postingLanguageFit(r, { english, french: a }));
      const withheld = postingLanguageFit(r, { english, french: WITHHELD });
      // Whatever the French level really is, a caller who may not see it gets the same answer.
      const real = [postingLanguageFit(r, { english, french: a }), postingLanguageFit(r, { english, french: b })];
      if (withheld !== 'UNDETERMINED') expect(real).toEqual([withheld, withheld]);
      expect(postingLanguageFit(r, { english: WITHHELD, french: a }) === 'UNDETERMINED' || postingLanguageFit(r, { english: WITHHELD, french: a }) === postingLanguageFit(r, { english: b, french: a })).toBe(true);
    }));
  });

  it('a determined answer agrees with every completion of the withheld levels; UNDETERMINED only when completions disagree (property)', () => {
    fc.assert(fc.property(arbReq, arbSeen, arbSeen, (r, english, french) => {
      const completions = (s: SeenLevel) => (s === WITHHELD ? [null, 1, 6, 12] : [s]);
      const answers = new Set(completions(english).flatMap((e) => completions(french).map((f) => postingLanguageFit(r, { english: e, french: f }))));
      const fit = postingLanguageFit(r, { english, french });
      if (answers.size === 1) expect(fit).toBe([...answers][0]);
      else expect(fit).toBe('UNDETERMINED');
    }));
  });

  it('is monotone: a higher visible level never turns MEETS into DOES_NOT_MEET (property)', () => {
    fc.assert(fc.property(arbReq, fc.integer({ min: 1, max: 11 }), arbSeen, (r, e, french) => {
      if (postingLanguageFit(r, { english: e, french }) === 'MEETS') expect(postingLanguageFit(r, { english: e + 1, french })).toBe('MEETS');
    }));
  });

  it('levels are whole numbers from 1 to 12', () => {
    expect([1, 12].every(isLanguageLevel)).toBe(true);
    expect([0, 13, 6.5, '7', null, undefined, -1].some(isLanguageLevel)).toBe(false);
  });
});
