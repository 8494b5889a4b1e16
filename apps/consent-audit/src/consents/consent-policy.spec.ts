import { createHash } from 'node:crypto';
import { Registry } from '@passerelle/registry';
import { consentGrantRefusal, declaredConsents, mayReadDisclosures, type PriorConsent } from './consent-policy';
import type { ConsentGrant } from './consent-input';

const agency = (id: string, roles: Array<'PROVIDER' | 'CONSUMER'>) => ({ id, names: { en: id, fr: id }, jurisdiction: 'CA', roles, keys: [] });
const registry = new Registry({
  gatewayId: 'gw',
  agencies: [agency('qc.mifi', ['PROVIDER', 'CONSUMER']), agency('ca.ircc', ['PROVIDER', 'CONSUMER']), agency('ca.esdc', ['CONSUMER'])],
  agreements: [],
  programs: [],
  consentCollectors: [
    { agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc', 'ca.ircc'] },
    { agency: 'ca.ircc', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] },
  ],
});
const evidence = (s: string) => createHash('sha256').update(s).digest('base64url');
const grant = (over: Partial<ConsentGrant> = {}): ConsentGrant => ({
  subject: 'i_AAAAAAAAAAAAAAAAAAAAAA',
  purpose: 'JOB_MATCHING',
  recipient: 'ca.esdc',
  collectedBy: 'qc.mifi',
  validFrom: new Date('2026-06-01T00:00:00Z'),
  expiresAt: new Date('2027-06-01T00:00:00Z'),
  evidenceSha256: evidence('new form'),
  destinations: [],
  ...over,
});
const revokedBy = (collectedBy: string, form: string, at = '2026-06-10T00:00:00Z'): PriorConsent => ({ collectedBy, evidenceSha256: evidence(form), revokedAt: new Date(at) });
const inForce = (collectedBy: string, form: string): PriorConsent => ({ collectedBy, evidenceSha256: evidence(form), revokedAt: null });

describe('consent collectors: who may record a consent', () => {
  it.each<[string, Partial<ConsentGrant>, PriorConsent[], string | undefined]>([
    ['a declared collector, first grant', {}, [], undefined],
    ['a recipient recording its own consent', { collectedBy: 'ca.ircc', recipient: 'ca.ircc' }, [], 'self_granted_consent'],
    ['a declared collector naming itself', { recipient: 'qc.mifi' }, [], 'self_granted_consent'],
    ['an agency the registry does not declare a collector', { collectedBy: 'ca.esdc', recipient: 'ca.ircc' }, [], 'collector_not_declared'],
    ['a collector, for a purpose not declared', { purpose: 'RELOCATION' }, [], 'collector_not_declared'],
    ['a collector, for a recipient not declared', { collectedBy: 'ca.ircc', recipient: 'qc.mifi' }, [], 'collector_not_declared'],
    ['another declared collector, after the claimant revoked', { collectedBy: 'ca.ircc' }, [revokedBy('qc.mifi', 'old form')], 'regrant_not_by_collector'],
    ['the collector, re-granting with the revoked evidence', {}, [revokedBy('qc.mifi', 'new form')], 'regrant_evidence_reused'],
    ['the collector, re-granting with an evidence revoked earlier', {}, [revokedBy('qc.mifi', 'new form', '2026-06-01T00:00:00Z'), revokedBy('qc.mifi', 'second form')], 'regrant_evidence_reused'],
    ['the collector, re-granting with new evidence', {}, [revokedBy('qc.mifi', 'old form')], undefined],
    ['a second declared collector while a consent is in force', { collectedBy: 'ca.ircc' }, [inForce('qc.mifi', 'old form')], undefined],
    ['the latest revocation decides who re-grants', { collectedBy: 'ca.ircc' }, [revokedBy('ca.ircc', 'a', '2026-06-01T00:00:00Z'), revokedBy('qc.mifi', 'b', '2026-06-09T00:00:00Z')], 'regrant_not_by_collector'],
  ])('%s', (_name, over, priors, code) => {
    const refused = consentGrantRefusal(grant(over), registry, priors);
    expect(refused?.code).toBe(code);
    if (refused) expect(refused.message).toMatch(new RegExp(`^${code}: `));
  });
});

describe('disclosures are open only to declared collectors of the claimant', () => {
  it.each<[string, string, Array<{ collectedBy: string; purpose: string; recipient: string }>, boolean]>([
    ['the collector of a consent the registry declares', 'qc.mifi', [{ collectedBy: 'qc.mifi', purpose: 'JOB_MATCHING', recipient: 'ca.esdc' }], true],
    ['a recipient that collected nothing', 'ca.esdc', [{ collectedBy: 'qc.mifi', purpose: 'JOB_MATCHING', recipient: 'ca.esdc' }], false],
    ['a declared collector that collected nothing from this claimant', 'ca.ircc', [{ collectedBy: 'qc.mifi', purpose: 'JOB_MATCHING', recipient: 'ca.esdc' }], false],
    ['an agency that recorded a consent the registry does not declare (e.g. before this rule)', 'ca.esdc', [{ collectedBy: 'ca.esdc', purpose: 'JOB_MATCHING', recipient: 'ca.esdc' }], false],
    ['no consent at all', 'qc.mifi', [], false],
  ])('%s', (_name, caller, consents, open) => {
    expect(mayReadDisclosures(caller, consents, registry)).toBe(open);
  });
});

describe('only consents collected by a declared collector count (Decide, InForce)', () => {
  it('drops self-granted and undeclared consents, keeps declared ones', () => {
    const rows = [
      { collectedBy: 'qc.mifi', purpose: 'JOB_MATCHING', recipient: 'ca.esdc', id: 1 },
      { collectedBy: 'ca.esdc', purpose: 'JOB_MATCHING', recipient: 'ca.esdc', id: 2 },
      { collectedBy: 'qc.mifi', purpose: 'RELOCATION', recipient: 'ca.esdc', id: 3 },
      { collectedBy: 'ca.ircc', purpose: 'JOB_MATCHING', recipient: 'ca.esdc', id: 4 },
    ];
    expect(declaredConsents(rows, registry).map((r) => r.id)).toEqual([1, 4]);
  });
});
