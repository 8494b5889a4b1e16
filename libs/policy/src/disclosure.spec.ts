import fc from 'fast-check';
import {
  agreementInForce,
  consentInForce,
  consentProbes,
  decideDisclosure,
  isConsentReason,
  verdictLookup,
  decideDisclosures,
  DISCLOSURE_REASONS,
  type AgreementTerms,
  type ConsentTerms,
  type DisclosureQuestion,
} from './disclosure';

const AT = new Date('2026-06-15T12:00:00.000Z');
const SUBJECT = 'i_AAAAAAAAAAAAAAAAAAAAAA';
const OTHER_SUBJECT = 'i_BBBBBBBBBBBBBBBBBBBBBB';

function agreement(overrides: Partial<AgreementTerms> = {}): AgreementTerms {
  return {
    id: 'dsa-mifi-esdc-jobs',
    provider: 'qc.mifi',
    consumer: 'ca.esdc',
    purposes: ['JOB_MATCHING'],
    fields: ['province', 'nocCode', 'frenchLevel'],
    validFrom: '2026-01-01',
    validTo: '2027-12-31',
    ...overrides,
  };
}

function consent(overrides: Partial<ConsentTerms> = {}): ConsentTerms {
  return {
    subject: SUBJECT,
    purpose: 'JOB_MATCHING',
    recipient: 'ca.esdc',
    validFrom: new Date('2026-06-01T00:00:00Z'),
    expiresAt: new Date('2026-07-01T00:00:00Z'),
    revokedAt: null,
    ...overrides,
  };
}

function question(overrides: Partial<DisclosureQuestion> = {}): DisclosureQuestion {
  return {
    consumer: 'ca.esdc',
    purpose: 'JOB_MATCHING',
    candidate: { subject: SUBJECT, field: 'province', provider: 'qc.mifi' },
    agreements: [agreement()],
    consents: [consent()],
    consentRequired: true,
    at: AT,
    ...overrides,
  };
}

describe('decideDisclosure: one reason per rule, in precedence order', () => {
  const cases: Array<[string, Partial<DisclosureQuestion>, { permit: boolean; reason: string; agreementId: string }]> = [
    ['permits with an agreement in force and consent in force', {}, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['permits without consent when the purpose does not require it', { consents: [], consentRequired: false }, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['refuses without any agreement', { agreements: [] }, { permit: false, reason: 'no_agreement', agreementId: '' }],
    ['refuses when the agreement binds another consumer', { consumer: 'on.mltsd' }, { permit: false, reason: 'no_agreement', agreementId: '' }],
    ['refuses when the agreement is from another provider', { candidate: { subject: SUBJECT, field: 'province', provider: 'ca.ircc' } }, { permit: false, reason: 'no_agreement', agreementId: '' }],
    ['refuses before the agreement starts', { at: new Date('2025-12-31T23:59:59Z') }, { permit: false, reason: 'agreement_not_in_force', agreementId: '' }],
    ['refuses after the agreement ends', { at: new Date('2028-01-01T00:00:00Z') }, { permit: false, reason: 'agreement_not_in_force', agreementId: '' }],
    ['refuses for a purpose the agreement does not name', { purpose: 'STATISTICS' }, { permit: false, reason: 'purpose_not_covered', agreementId: '' }],
    ['refuses a field the agreement does not name', { candidate: { subject: SUBJECT, field: 'claimStatus', provider: 'qc.mifi' } }, { permit: false, reason: 'field_not_covered', agreementId: '' }],
    ['asks for consent when there is none', { consents: [] }, { permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['ignores a consent of another subject', { consents: [consent({ subject: OTHER_SUBJECT })] }, { permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['ignores a consent for another purpose', { consents: [consent({ purpose: 'RELOCATION' })] }, { permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['ignores a consent for another recipient', { consents: [consent({ recipient: 'on.mltsd' })] }, { permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['asks for consent when the only one starts later', { consents: [consent({ validFrom: new Date('2026-06-15T12:00:01Z') })] }, { permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['says expired at the very second of expiry', { consents: [consent({ expiresAt: AT })] }, { permit: false, reason: 'consent_expired', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['still permits in the last second before expiry', { consents: [consent({ expiresAt: new Date(AT.getTime() + 1000) })] }, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['compares to the second: expiry later within the same second is already expiry', { consents: [consent({ expiresAt: new Date(AT.getTime() + 999) })] }, { permit: false, reason: 'consent_expired', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['permits from the very second consent starts', { consents: [consent({ validFrom: new Date(AT.getTime() + 500) })] }, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['says revoked at the very second of revocation', { consents: [consent({ revokedAt: AT })] }, { permit: false, reason: 'consent_revoked', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['still permits before a later revocation', { consents: [consent({ revokedAt: new Date('2026-06-15T12:00:01Z') })] }, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['says revoked rather than expired when both apply', { consents: [consent({ revokedAt: new Date('2026-06-02T00:00:00Z') }), consent({ expiresAt: new Date('2026-06-10T00:00:00Z') })] }, { permit: false, reason: 'consent_revoked', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['permits with a fresh consent after an earlier one was revoked', { consents: [consent({ revokedAt: new Date('2026-06-02T00:00:00Z') }), consent({ validFrom: new Date('2026-06-03T00:00:00Z') })] }, { permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs' }],
    ['checks agreements before consent (no agreement beats no consent)', { agreements: [], consents: [] }, { permit: false, reason: 'no_agreement', agreementId: '' }],
    [
      'picks the in-force agreement covering the field among several',
      { agreements: [agreement({ id: 'old', validTo: '2025-12-31' }), agreement({ id: 'narrow', fields: ['nocCode'] }), agreement({ id: 'wide' })] },
      { permit: true, reason: 'ok', agreementId: 'wide' },
    ],
    [
      'says field_not_covered when only an agreement for another purpose names the field',
      { agreements: [agreement({ id: 'a', fields: ['nocCode'] }), agreement({ id: 'b', purposes: ['RELOCATION'], fields: ['province'] })] },
      { permit: false, reason: 'field_not_covered', agreementId: '' },
    ],
  ];

  it.each(cases)('%s', (_name, overrides, expected) => {
    expect(decideDisclosure(question(overrides))).toEqual(expected);
  });

  it('counts the agreement validTo day as a whole day (UTC)', () => {
    expect(agreementInForce(agreement(), new Date('2027-12-31T23:59:59.999Z'))).toBe(true);
    expect(agreementInForce(agreement(), new Date('2028-01-01T00:00:00Z'))).toBe(false);
    expect(agreementInForce(agreement(), new Date('2026-01-01T00:00:00Z'))).toBe(true);
  });

  it('treats full timestamps in an agreement as [validFrom, validTo)', () => {
    const a = agreement({ validFrom: '2026-06-15T12:00:00Z', validTo: '2026-06-15T13:00:00Z' });
    expect(agreementInForce(a, new Date('2026-06-15T11:59:59Z'))).toBe(false);
    expect(agreementInForce(a, new Date('2026-06-15T12:00:00Z'))).toBe(true);
    expect(agreementInForce(a, new Date('2026-06-15T13:00:00Z'))).toBe(false);
  });

  it('names a malformed agreement date', () => {
    expect(() => agreementInForce(agreement({ validFrom: 'soon' }), AT)).toThrow(/agreement date is not a date: "soon"/);
  });
});

describe('decideDisclosures', () => {
  it('answers in the order of the candidates, each with its own subject’s consents', () => {
    const verdicts = decideDisclosures({
      consumer: 'ca.esdc',
      purpose: 'JOB_MATCHING',
      candidates: [
        { subject: OTHER_SUBJECT, field: 'province', provider: 'qc.mifi' },
        { subject: SUBJECT, field: 'province', provider: 'qc.mifi' },
        { subject: SUBJECT, field: 'claimStatus', provider: 'qc.mifi' },
      ],
      agreements: [agreement()],
      consents: [consent()],
      consentRequired: true,
      at: AT,
    });
    expect(verdicts.map((v) => v.reason)).toEqual(['consent_required', 'ok', 'field_not_covered']);
  });

  it('answers nothing for no candidates', () => {
    expect(decideDisclosures({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [], agreements: [], consents: [], consentRequired: true, at: AT })).toEqual([]);
  });
});

// ---------------------------------------------------------------- properties

const agencies = ['qc.mifi', 'ca.esdc', 'ca.ircc', 'on.mltsd'];
const purposes = ['JOB_MATCHING', 'RELOCATION', 'STATISTICS'];
const fields = ['province', 'nocCode', 'frenchLevel', 'claimStatus'];
const subjects = [SUBJECT, OTHER_SUBJECT];
const BASE = Date.parse('2026-01-01T00:00:00Z');
const instant = fc.integer({ min: 0, max: 400 * 86_400_000 }).map((ms) => new Date(BASE + ms));
const day = fc.integer({ min: 0, max: 400 }).map((d) => new Date(BASE + d * 86_400_000).toISOString().slice(0, 10));

const agreementArb: fc.Arbitrary<AgreementTerms> = fc.record({
  id: fc.constantFrom('a1', 'a2', 'a3'),
  provider: fc.constantFrom(...agencies),
  consumer: fc.constantFrom(...agencies),
  purposes: fc.subarray(purposes),
  fields: fc.subarray(fields),
  validFrom: day,
  validTo: day,
});

const consentArb: fc.Arbitrary<ConsentTerms> = fc.record({
  subject: fc.constantFrom(...subjects),
  purpose: fc.constantFrom(...purposes),
  recipient: fc.constantFrom(...agencies),
  validFrom: instant,
  expiresAt: instant,
  revokedAt: fc.option(instant, { nil: null }),
});

const questionArb: fc.Arbitrary<DisclosureQuestion> = fc.record({
  consumer: fc.constantFrom(...agencies),
  purpose: fc.constantFrom(...purposes),
  candidate: fc.record({ subject: fc.constantFrom(...subjects), field: fc.constantFrom(...fields), provider: fc.constantFrom(...agencies) }),
  agreements: fc.array(agreementArb, { maxLength: 4 }),
  consents: fc.array(consentArb, { maxLength: 5 }),
  consentRequired: fc.boolean(),
  at: instant,
});

describe('decideDisclosure properties', () => {
  it('never permits without an in-force agreement from the provider to the consumer covering field and purpose', () => {
    fc.assert(
      fc.property(questionArb, (q) => {
        const v = decideDisclosure(q);
        if (!v.permit) return;
        const covering = q.agreements.filter(
          (a) =>
            a.provider === q.candidate.provider &&
            a.consumer === q.consumer &&
            a.purposes.includes(q.purpose) &&
            a.fields.includes(q.candidate.field) &&
            agreementInForce(a, q.at),
        );
        expect(covering.map((a) => a.id)).toContain(v.agreementId);
      }),
      { numRuns: 2000 },
    );
  });

  it('never permits a consent-requiring purpose without a matching consent in force', () => {
    fc.assert(
      fc.property(questionArb, (q) => {
        const v = decideDisclosure({ ...q, consentRequired: true });
        const inForce = q.consents.some(
          (c) => c.subject === q.candidate.subject && c.purpose === q.purpose && c.recipient === q.consumer && consentInForce(c, q.at),
        );
        if (v.permit) expect(inForce).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('revocation always wins: once every matching consent is revoked, nothing that needs consent is permitted', () => {
    fc.assert(
      fc.property(questionArb, fc.integer({ min: 0, max: 86_400_000 }), (q, before) => {
        const revoked = q.consents.map((c) => ({ ...c, revokedAt: new Date(q.at.getTime() - before) }));
        const v = decideDisclosure({ ...q, consents: revoked, consentRequired: true });
        expect(v.permit).toBe(false);
        const matching = revoked.some((c) => c.subject === q.candidate.subject && c.purpose === q.purpose && c.recipient === q.consumer);
        if (matching && v.agreementId !== '') expect(v.reason).toBe('consent_revoked');
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same verdict for any instant within the same second', () => {
    fc.assert(
      fc.property(questionArb, fc.integer({ min: 0, max: 999 }), (q, ms) => {
        const second = Math.floor(q.at.getTime() / 1000) * 1000;
        expect(decideDisclosure({ ...q, at: new Date(second + ms) })).toEqual(decideDisclosure({ ...q, at: new Date(second) }));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives a known reason, permit exactly when ok, and an agreement id exactly when one covers the candidate', () => {
    fc.assert(
      fc.property(questionArb, (q) => {
        const v = decideDisclosure(q);
        expect(DISCLOSURE_REASONS).toContain(v.reason);
        expect(v.permit).toBe(v.reason === 'ok');
        const agreementStage = ['no_agreement', 'agreement_not_in_force', 'purpose_not_covered', 'field_not_covered'].includes(v.reason);
        expect(v.agreementId === '').toBe(agreementStage);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on the order of agreements or consents for permit and reason', () => {
    fc.assert(
      fc.property(questionArb, (q) => {
        const v = decideDisclosure(q);
        const r = decideDisclosure({ ...q, agreements: [...q.agreements].reverse(), consents: [...q.consents].reverse() });
        expect({ permit: r.permit, reason: r.reason }).toEqual({ permit: v.permit, reason: v.reason });
      }),
      { numRuns: 1000 },
    );
  });

  it('decides a batch exactly as one by one', () => {
    fc.assert(
      fc.property(questionArb, fc.array(fc.record({ subject: fc.constantFrom(...subjects), field: fc.constantFrom(...fields), provider: fc.constantFrom(...agencies) }), { maxLength: 6 }), (q, candidates) => {
        const batch = decideDisclosures({ ...q, candidates });
        expect(batch).toEqual(candidates.map((candidate) => decideDisclosure({ ...q, candidate })));
      }),
      { numRuns: 500 },
    );
  });

  it('a consent probe speaks for its subject: refused for consent, every candidate of that subject is refused for consent', () => {
    fc.assert(
      fc.property(questionArb, fc.array(fc.record({ subject: fc.constantFrom(...subjects), field: fc.constantFrom(...fields), provider: fc.constantFrom(...agencies) }), { maxLength: 8 }), (q, candidates) => {
        const verdicts = decideDisclosures({ ...q, candidates });
        const probes = consentProbes(candidates);
        expect(new Set(probes.map((p) => p.subject)).size).toBe(probes.length);
        const probeVerdicts = decideDisclosures({ ...q, candidates: probes });
        probes.forEach((p, i) => {
          if (!isConsentReason(probeVerdicts[i].reason)) return;
          candidates.forEach((c, j) => {
            if (c.subject === p.subject) expect(verdicts[j].permit).toBe(false);
          });
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('verdictLookup and CONSENT_REASONS', () => {
  it('answers by candidate, undefined for a candidate not asked about, and refuses a short answer', () => {
    const a = { subject: SUBJECT, field: 'province', provider: 'qc.mifi' };
    const b = { subject: OTHER_SUBJECT, field: 'province', provider: 'qc.mifi' };
    const ok = { permit: true, reason: 'ok' as const, agreementId: 'x' };
    const lookup = verdictLookup([a], [ok]);
    expect(lookup({ ...a })).toEqual(ok);
    expect(lookup(b)).toBeUndefined();
    expect(() => verdictLookup([a, b], [ok])).toThrow(/1 verdicts for 2 candidates/);
  });

  it('names exactly the consent refusals', () => {
    expect(DISCLOSURE_REASONS.filter(isConsentReason)).toEqual(['consent_required', 'consent_expired', 'consent_revoked']);
  });
});
