import { consentInForce, type ConsentTerms } from '@passerelle/policy';
import { InvalidConsentInput } from './consent-errors';
import { parseInForceRequest, recipientsInForce } from './consents-in-force';

const A = 'i_AAAAAAAAAAAAAAAAAAAAAA';
const B = 'i_BBBBBBBBBBBBBBBBBBBBBB';
const at = new Date('2026-03-01T12:00:00.700Z');
const terms = (subject: string, recipient: string, over: Partial<ConsentTerms> = {}): ConsentTerms => ({
  subject,
  purpose: 'JOB_MATCHING',
  recipient,
  validFrom: new Date('2026-01-01T00:00:00Z'),
  expiresAt: new Date('2027-01-01T00:00:00Z'),
  revokedAt: null,
  ...over,
});

describe('Consents.InForce', () => {
  it('answers per requested subject, in order, the recipients whose consent is in force (consentInForce, to the second)', () => {
    const rows = [
      terms(A, 'ca.esdc'),
      terms(A, 'qc.mifi', { revokedAt: new Date('2026-03-01T12:00:00.100Z') }), // revoked within the same second: not in force
      terms(B, 'ca.esdc', { validFrom: new Date('2026-03-01T12:00:00.900Z') }), // starts within the same second: in force
      terms(B, 'on.mltsd', { expiresAt: new Date('2026-03-01T12:00:00.950Z') }), // expires within the same second: not in force
    ];
    expect(recipientsInForce([B, A, 'i_CCCCCCCCCCCCCCCCCCCCCC', A], rows, at)).toEqual([
      { subject: B, recipients: ['ca.esdc'], consents: [] },
      { subject: A, recipients: ['ca.esdc'], consents: [] },
      { subject: 'i_CCCCCCCCCCCCCCCCCCCCCC', recipients: [], consents: [] },
      { subject: A, recipients: ['ca.esdc'], consents: [] },
    ]);
    for (const r of rows) {
      const listed = recipientsInForce([r.subject], [r], at)[0].recipients.includes(r.recipient);
      expect(listed).toBe(consentInForce(r, at));
    }
  });

  it('names the consents in force behind each recipient, and only those', () => {
    const rows = [
      terms(A, 'on.mltsd', { id: 'c3' }),
      terms(A, 'ca.esdc', { id: 'c2' }),
      terms(A, 'ca.esdc', { id: 'c1' }),
      terms(A, 'ca.esdc', { id: 'c0', revokedAt: new Date('2026-02-01T00:00:00Z') }),
      terms(B, 'ca.esdc', { id: 'c4', expiresAt: new Date('2026-02-01T00:00:00Z') }),
    ];
    expect(recipientsInForce([A, B], rows, at)).toEqual([
      { subject: A, recipients: ['ca.esdc', 'on.mltsd'], consents: [{ recipient: 'ca.esdc', consentId: 'c1' }, { recipient: 'ca.esdc', consentId: 'c2' }, { recipient: 'on.mltsd', consentId: 'c3' }] },
      { subject: B, recipients: [], consents: [] },
    ]);
  });

  it('checks the request without echoing a subject', () => {
    expect(parseInForceRequest({ subjects: [A, A, B], purpose: 'JOB_MATCHING', at: '' }, at)).toEqual({ subjects: [A, B], purpose: 'JOB_MATCHING', at });
    expect(parseInForceRequest({ subjects: [A], purpose: 'JOB_MATCHING', at: '2026-03-01T12:00:00.5Z' }, at).at).toEqual(new Date('2026-03-01T12:00:00Z'));
    let err: unknown;
    try {
      parseInForceRequest({ subjects: [A, 'TEST-CLIENT-7'], purpose: 'FUN', at: 'tomorrow' }, at);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidConsentInput);
    expect((err as InvalidConsentInput).problems).toEqual([
      'subjects[1] must be a gateway-internal id (i_ followed by 22 base64url characters)',
      expect.stringMatching(/^purpose must be one of /),
      'at must be an ISO-8601 timestamp with a time zone, or empty for now',
    ]);
    expect((err as Error).message).not.toContain('TEST-CLIENT-7');
  });
});
