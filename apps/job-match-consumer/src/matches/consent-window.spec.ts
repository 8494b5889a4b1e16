import fc from 'fast-check';
import type { ConsentTerms } from '@passerelle/policy';
import { consentEndedAt, jobMatchingConsents, purgeDue } from './consent-window';

const H = 3600_000;
const now = new Date('2026-06-01T12:00:00Z');
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
const consent = (from: number, to: number, revoked: number | null = null): ConsentTerms => ({
  subject: 'i_AAAAAAAAAAAAAAAAAAAAAA',
  purpose: 'JOB_MATCHING',
  recipient: 'ca.esdc',
  validFrom: at(from),
  expiresAt: at(to),
  revokedAt: revoked === null ? null : at(revoked),
});

describe('consent window', () => {
  it('keeps matches while a consent is in force', () => {
    expect(consentEndedAt([consent(-48 * H, 48 * H)], now)).toBe('in_force');
    expect(purgeDue([consent(-48 * H, 48 * H)], at(-100 * H), now, 24 * H)).toBe(false);
  });

  it('purges only once the grace period after a revocation has passed', () => {
    expect(purgeDue([consent(-48 * H, 48 * H, -23 * H)], at(-40 * H), now, 24 * H)).toBe(false);
    expect(purgeDue([consent(-48 * H, 48 * H, -25 * H)], at(-40 * H), now, 24 * H)).toBe(true);
  });

  it('counts from the latest end among several consents (a renewed then revoked consent)', () => {
    const consents = [consent(-100 * H, -60 * H), consent(-50 * H, 48 * H, -2 * H)];
    expect(consentEndedAt(consents, now)).toEqual(at(-2 * H));
    expect(purgeDue(consents, at(-90 * H), now, 24 * H)).toBe(false);
  });

  it('falls back to the age of the oldest match when there never was a consent', () => {
    expect(consentEndedAt([], now)).toBeNull();
    expect(purgeDue([], at(-25 * H), now, 24 * H)).toBe(true);
    expect(purgeDue([], at(-1 * H), now, 24 * H)).toBe(false);
  });

  it('never purges while any consent is in force, whatever the others (property)', () => {
    const window = fc.tuple(fc.integer({ min: -200, max: 200 }), fc.integer({ min: 1, max: 400 }), fc.option(fc.integer({ min: -200, max: 200 })));
    fc.assert(
      fc.property(fc.array(window, { maxLength: 5 }), fc.integer({ min: 0, max: 100 }), (windows, graceHours) => {
        const consents = windows.map(([from, len, rev]) => consent(from * H, (from + len) * H, rev === null ? null : rev * H));
        const due = purgeDue(consents, at(-300 * H), now, graceHours * H);
        const ended = consentEndedAt(consents, now);
        if (ended === 'in_force') expect(due).toBe(false);
        else if (ended !== null) expect(due).toBe(now.getTime() - ended.getTime() > graceHours * H);
      }),
    );
  });

  it('considers only JOB_MATCHING consents to the publisher, collected by a declared collector', () => {
    const record = (purpose: string, recipient: string) => ({
      id: 'c', subject: 's', purpose, recipient, collectedBy: 'qc.mifi', validFrom: '2026-01-01T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z',
      evidenceSha256: '', grantedAt: '', revokedAt: '', revokedBy: '', receipt: '', destinations: [],
    });
    const found = jobMatchingConsents([record('JOB_MATCHING', 'ca.esdc'), record('RELOCATION', 'ca.esdc'), record('JOB_MATCHING', 'qc.mifi')], 'ca.esdc');
    expect(jobMatchingConsents([record('JOB_MATCHING', 'ca.esdc')], 'ca.esdc', (c) => c.collectedBy !== 'qc.mifi')).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ purpose: 'JOB_MATCHING', recipient: 'ca.esdc', revokedAt: null });
  });
});
