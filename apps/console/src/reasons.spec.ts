import { DEAD_LETTER_CODES } from '../../../libs/messaging/src/job-match/job-match.message';
import { setLang } from './i18n';
import { REASONS, reasonText } from './reasons';

describe('refusal reasons for operators', () => {
  afterEach(() => setLang('en'));

  it('are explained in English and in French, differently', () => {
    for (const [code, r] of Object.entries(REASONS)) {
      expect([code, r.en.length > 0, r.fr.length > 0]).toEqual([code, true, true]);
      if (code !== 'ok') expect([code, r.fr]).not.toEqual([code, r.en]);
    }
  });

  it("cover every dead-letter code of the job-match consumer and the contract's signature codes", () => {
    const contract = ['missing_signature', 'malformed_signature', 'unknown_key', 'revoked_key', 'algorithm_not_allowed', 'bad_signature', 'issuer_mismatch', 'audience_mismatch', 'expired', 'not_yet_valid', 'replayed_request', 'method_or_path_mismatch', 'body_digest_mismatch', 'unknown_purpose'];
    for (const code of [...DEAD_LETTER_CODES, ...contract]) expect([code, code in REASONS]).toEqual([code, true]);
  });

  it('keep the code visible, read GraphQL codes too, and pass unknown codes through', () => {
    expect(reasonText('no_consent')).toBe('no_consent — no consent in force');
    setLang('fr');
    expect(reasonText('no_consent')).toBe('no_consent — aucun consentement en vigueur');
    expect(reasonText('CONSENT_REQUIRED')).toBe('CONSENT_REQUIRED — le consentement du prestataire est requis');
    expect(reasonText('something_new')).toBe('something_new');
    expect(reasonText('constructor')).toBe('constructor');
    expect(reasonText('')).toBe('—');
  });
});
