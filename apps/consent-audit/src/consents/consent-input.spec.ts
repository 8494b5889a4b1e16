import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { Registry } from '@passerelle/registry';
import { InvalidConsentInput } from './consent-errors';
import { isEvidenceSha256, parseConsentGrant, parseInstant } from './consent-input';

const registry = new Registry({
  gatewayId: 'gw',
  agencies: [
    { id: 'qc.mifi', names: { en: 'm', fr: 'm' }, jurisdiction: 'QC', roles: ['PROVIDER'], keys: [] },
    { id: 'ca.esdc', names: { en: 'e', fr: 'e' }, jurisdiction: 'CA', roles: ['CONSUMER'], keys: [] },
  ],
  agreements: [],
  programs: [],
});
const NOW = new Date('2026-06-15T12:00:00Z');
const good = {
  subject: 'i_AAAAAAAAAAAAAAAAAAAAAA',
  purpose: 'JOB_MATCHING',
  recipient: 'ca.esdc',
  collectedBy: 'qc.mifi',
  validFrom: '2026-06-01T00:00:00Z',
  expiresAt: '2027-06-01T00:00:00.750+02:00',
  evidenceSha256: createHash('sha256').update('form').digest('base64url'),
  destinations: [] as string[],
};

function problemsOf(overrides: Partial<typeof good>): string[] {
  try {
    parseConsentGrant({ ...good, ...overrides }, registry, NOW);
  } catch (e) {
    if (e instanceof InvalidConsentInput) return e.problems;
    throw e;
  }
  return [];
}

describe('parseConsentGrant', () => {
  it('accepts a good request, dropping sub-seconds (decisions are to the second)', () => {
    const grant = parseConsentGrant(good, registry, NOW);
    expect(grant.expiresAt.toISOString()).toBe('2027-05-31T22:00:00.000Z');
    expect(grant).toMatchObject({ subject: good.subject, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collectedBy: 'qc.mifi' });
  });

  it.each([
    [{ subject: 'CLIENT-42' }, 'subject must be a gateway-internal id (i_ followed by 22 base64url characters)'],
    [{ purpose: 'CONSENT_MANAGEMENT' }, 'purpose must be one of JOB_MATCHING, RELOCATION, PROGRAM_ELIGIBILITY, STATISTICS'],
    [{ recipient: '' }, 'recipient is required (an agency id of the registry)'],
    [{ recipient: 'xx.nobody' }, 'recipient "xx.nobody" is not an agency of the registry'],
    [{ collectedBy: 'xx.nobody' }, 'collected_by "xx.nobody" is not an agency of the registry'],
    [{ validFrom: '2026-06-01' }, 'valid_from must be an ISO-8601 timestamp with a time zone, e.g. 2026-06-01T00:00:00Z'],
    [{ expiresAt: '2027-06-01T00:00:00' }, 'expires_at must be an ISO-8601 timestamp with a time zone, e.g. 2027-06-01T00:00:00Z'],
    [{ expiresAt: '2026-06-01T00:00:00.900Z' }, 'expires_at must be after valid_from (to the second)'],
    [{ validFrom: '2026-01-01T00:00:00Z', expiresAt: '2026-06-15T12:00:00Z' }, 'expires_at is already past: the consent would never be in force'],
    [{ evidenceSha256: 'A'.repeat(44) }, 'evidence_sha256 must be the base64url SHA-256 of the signed form (43 characters, no padding)'],
  ])('refuses %j', (overrides, problem) => {
    expect(problemsOf(overrides)).toEqual([problem]);
  });

  it('names every problem at once, never quoting the subject', () => {
    const problems = problemsOf({ subject: 'CLIENT-42', purpose: 'x', evidenceSha256: '' });
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).not.toContain('CLIENT-42');
  });
});

describe('isEvidenceSha256', () => {
  it('accepts exactly the base64url encodings of 32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        expect(isEvidenceSha256(Buffer.from(bytes).toString('base64url'))).toBe(bytes.length === 32);
      }),
    );
    expect(isEvidenceSha256(`${'A'.repeat(42)}B`)).toBe(false); // non-canonical last character
  });
});

describe('parseInstant', () => {
  it('round-trips any instant written as ISO-8601 UTC, floored to the second', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(parseInstant(d.toISOString())!.getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000);
      }),
    );
  });

  it('refuses dates without a time or a zone', () => {
    for (const v of ['2026-06-01', '2026-06-01T00:00:00', 'tomorrow', '', '2026-13-45T00:00:00Z']) expect(parseInstant(v)).toBeNull();
  });
});
