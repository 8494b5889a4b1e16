/**
 * Consents through the gateway's GraphQL, signed requests end to end: the real gateway and
 * consent-audit processes, pseudonyms of the calling agency in and out, receipts verifiable with
 * the gateway JWKS, revocation effective for the very next decision, and each exchange's ledger
 * entry naming the subject.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { loadPseudonymKeyring, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayClient } from '@passerelle/client';
import {
  createTestDatabase,
  createTestRegistry,
  startTestConsentAudit,
  startTestGateway,
  type TestConsentAudit,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
} from '@passerelle/testing';
import { status } from '@grpc/grpc-js';
import { connectConsentAudit, failureOf, type ConsentAuditConnection } from './consent-audit-grpc';
import { agreement, evidenceOf, newInternalId } from './fixtures';
import { connectLedger, type LedgerConnection } from '../ledger/ledger-grpc';

jest.setTimeout(60_000);

// @passerelle/testing loads @passerelle/contracts, which requires @nestjs/microservices (ESM-only
// in Nest 12; jest's CommonJS runtime cannot load it on Node 20). Only load-time values are needed.

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const CONSENT_FIELDS = 'id pseudonym purpose recipient collectedBy validFrom expiresAt evidenceSha256 grantedAt revokedAt revokedBy receipt';
const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { ${CONSENT_FIELDS} } }`;
const REVOKE = `mutation($id: String!) { revokeConsent(consentId: $id) { ${CONSENT_FIELDS} } }`;
const LIST = `query($p: String!) { consents(pseudonym: $p) { ${CONSENT_FIELDS} } }`;
const DISCLOSURES = `query($p: String!) { disclosures(pseudonym: $p, first: 10) { hasMore disclosures { seq agency purpose operation fields } } }`;

interface GqlError {
  message: string;
  extensions?: { code?: string; reason?: string };
}
interface Gql<T> {
  data?: T | null;
  errors?: GqlError[];
}
interface ConsentOut {
  id: string;
  pseudonym: string;
  purpose: string;
  recipient: string;
  collectedBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
  receipt: string;
}

describe('gateway GraphQL: recordConsent, revokeConsent, consents, disclosures', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let secretsDir: string;
  let consentAudit: TestConsentAudit;
  let gateway: TestGateway;
  let keyring: PseudonymKeyring;
  let decisions: ConsentAuditConnection;
  let ledger: LedgerConnection;
  let mifi: GatewayClient;
  let esdc: GatewayClient;
  let ircc: GatewayClient;

  beforeAll(async () => {
    db = await createTestDatabase('gwconsents');
    registry = await createTestRegistry({
      agencies: [
        { id: 'qc.mifi', roles: ['PROVIDER'], jurisdiction: 'QC' },
        { id: 'ca.ircc', roles: ['PROVIDER', 'CONSUMER'] },
        { id: 'ca.esdc', roles: ['CONSUMER'] },
        { id: 'ops.audit', roles: ['OPERATOR'] },
      ],
      agreements: [agreement({ id: 'dsa-mifi-esdc-jobs', provider: 'qc.mifi', consumer: 'ca.esdc' })],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
      // MIFI and IRCC both collect job-matching consent to ESDC; nobody else collects anything.
      consentCollectors: [
        { agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] },
        { agency: 'ca.ircc', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] },
      ],
    });
    secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-consents-e2e-'));
    consentAudit = await startTestConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir });
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: consentAudit.url, secretsDir });
    keyring = await loadPseudonymKeyring(secretsDir);
    decisions = connectConsentAudit(consentAudit.url);
    ledger = connectLedger(consentAudit.url);
    mifi = registry.client('qc.mifi', gateway.url);
    esdc = registry.client('ca.esdc', gateway.url);
    ircc = registry.client('ca.ircc', gateway.url);
  });

  afterAll(async () => {
    decisions?.close();
    ledger?.close();
    await gateway?.stop();
    await consentAudit?.stop();
    await db?.drop();
    await registry?.cleanup();
    if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
  });

  const gql = async <T>(client: GatewayClient, query: string, variables: Record<string, unknown>, purpose: 'CONSENT_MANAGEMENT' | 'JOB_MATCHING' = 'CONSENT_MANAGEMENT') => {
    const res = await client.graphql<Gql<T>>(query, variables, purpose);
    return { ...res.json, auditSeq: res.auditSeq };
  };
  const codesOf = (r: Gql<unknown>) => (r.errors ?? []).map((e) => e.extensions?.code);
  const input = (pseudonym: string, overrides: Record<string, string> = {}) => ({
    pseudonym,
    purpose: 'JOB_MATCHING',
    recipient: 'ca.esdc',
    validFrom: iso(Date.now() - HOUR),
    expiresAt: iso(Date.now() + 24 * HOUR),
    evidenceSha256: evidenceOf(),
    ...overrides,
  });
  const decide = async (subject: string) =>
    (await decisions.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [{ subject, field: 'province', provider: 'qc.mifi' }] })).verdicts[0];
  const subjectsOfEntry = async (seq: number) => {
    const { entries } = await ledger.entries({ start: seq, end: seq });
    return JSON.parse(entries[0].canonicalJson) as { subjects: string[]; decision: string; reason: string; operation: string };
  };

  it('records, lists and revokes a consent in the callers’ own pseudonyms, effective for the very next decision', async () => {
    const subject = newInternalId();
    const mifiPseudonym = toAgencyPseudonym(keyring, 'qc.mifi', subject);
    const esdcPseudonym = toAgencyPseudonym(keyring, 'ca.esdc', subject);

    const recorded = await gql<{ recordConsent: ConsentOut }>(mifi, RECORD, { input: input(mifiPseudonym) });
    expect(recorded.errors).toBeUndefined();
    const consent = recorded.data!.recordConsent;
    expect(consent).toMatchObject({ pseudonym: mifiPseudonym, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collectedBy: 'qc.mifi', revokedAt: null });
    const jwks = createLocalJWKSet((await (await fetch(`${gateway.url}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { protectedHeader, payload } = await compactVerify(consent.receipt, jwks);
    expect(protectedHeader.typ).toBe('consent-receipt+jwt');
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ consent_id: consent.id, collected_by: 'qc.mifi', recipient: 'ca.esdc' });
    expect(Buffer.from(payload).toString('utf8')).not.toContain(subject);
    expect(recorded.auditSeq).toEqual(expect.any(Number));
    expect(await subjectsOfEntry(recorded.auditSeq!)).toMatchObject({ subjects: [subject], decision: 'PERMIT' });
    expect(await decide(subject)).toMatchObject({ permit: true, reason: 'ok' });

    // The recipient sees it too, under its own pseudonym.
    const listed = await gql<{ consents: ConsentOut[] }>(esdc, LIST, { p: esdcPseudonym });
    expect(listed.data!.consents.map((c) => [c.id, c.pseudonym])).toEqual([[consent.id, esdcPseudonym]]);

    // Only the collecting agency may revoke.
    const refused = await gql<unknown>(esdc, REVOKE, { id: consent.id });
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(await decide(subject)).toMatchObject({ permit: true });

    const revoked = await gql<{ revokeConsent: ConsentOut }>(mifi, REVOKE, { id: consent.id });
    expect(revoked.data!.revokeConsent).toMatchObject({ id: consent.id, pseudonym: mifiPseudonym, revokedBy: 'qc.mifi' });
    expect(revoked.data!.revokeConsent.revokedAt).toEqual(expect.any(String));
    expect(await decide(subject)).toMatchObject({ permit: false, reason: 'consent_revoked' });
    expect(await subjectsOfEntry(revoked.auditSeq!)).toMatchObject({ subjects: [subject], decision: 'PERMIT' });
  });

  it('answers NOT_FOUND for another agency’s pseudonym or a forged one, exactly as for none, and audits the denial', async () => {
    const subject = newInternalId();
    const othersPseudonym = toAgencyPseudonym(keyring, 'qc.mifi', subject);
    const forged = `p1_${'A'.repeat(59)}`;
    const results = await Promise.all([othersPseudonym, forged, 'nothing-like-a-pseudonym'].map((p) => gql<unknown>(esdc, LIST, { p })));
    for (const r of results) {
      expect(codesOf(r)).toEqual(['NOT_FOUND']);
      expect(r.errors![0].message).toBe('no claimant with this pseudonym is visible to you');
    }
    expect(await subjectsOfEntry(results[0].auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'NOT_FOUND', subjects: [] });
    const viaRecord = await gql<unknown>(esdc, RECORD, { input: input(othersPseudonym) });
    expect(codesOf(viaRecord)).toEqual(['NOT_FOUND']);
  });

  it('refuses bad input with the GraphQL field names, and the wrong purpose', async () => {
    const pseudonym = toAgencyPseudonym(keyring, 'qc.mifi', newInternalId());
    const backwards = await gql<unknown>(mifi, RECORD, { input: input(pseudonym, { validFrom: iso(Date.now() + 2 * HOUR), expiresAt: iso(Date.now() + HOUR), recipient: 'xx.nobody' }) });
    expect(codesOf(backwards)).toEqual(['BAD_USER_INPUT']);
    expect(backwards.errors![0].message).toBe('recipient "xx.nobody" is not an agency of the registry; expiresAt must be after validFrom (to the second)');
    const badId = await gql<unknown>(mifi, REVOKE, { id: 'not-a-uuid' });
    expect(codesOf(badId)).toEqual(['BAD_USER_INPUT']);
    expect(badId.errors![0].message).toBe('consentId must be a consent id (a UUID)');
    const wrongPurpose = await gql<unknown>(mifi, LIST, { p: pseudonym }, 'JOB_MATCHING');
    expect(codesOf(wrongPurpose)).toEqual(['FORBIDDEN']);
  });

  const refusalOf = (r: Gql<unknown>) => ({ code: r.errors?.[0]?.extensions?.code, reason: r.errors?.[0]?.extensions?.reason });
  const pseudonymsOf = (subject: string) => ({ mifi: toAgencyPseudonym(keyring, 'qc.mifi', subject), esdc: toAgencyPseudonym(keyring, 'ca.esdc', subject), ircc: toAgencyPseudonym(keyring, 'ca.ircc', subject) });

  it('consent is collected, never self-granted: a recipient cannot record its own consent, even right after the claimant revoked', async () => {
    const subject = newInternalId();
    const p = pseudonymsOf(subject);
    const granted = await gql<{ recordConsent: ConsentOut }>(mifi, RECORD, { input: input(p.mifi) });
    expect(granted.errors).toBeUndefined();
    await gql(mifi, REVOKE, { id: granted.data!.recordConsent.id });
    expect(await decide(subject)).toMatchObject({ permit: false, reason: 'consent_revoked' });

    const selfGranted = await gql<unknown>(esdc, RECORD, { input: input(p.esdc) });
    expect(refusalOf(selfGranted)).toEqual({ code: 'FORBIDDEN', reason: 'self_granted_consent' });
    expect(selfGranted.errors![0].message).toMatch(/^an agency never records a consent naming itself as recipient/);
    expect(await decide(subject)).toMatchObject({ permit: false, reason: 'consent_revoked' });
    expect(await subjectsOfEntry(selfGranted.auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN', subjects: [subject] });
    // nor does the attempt make the recipient a collector who may read the claimant's disclosures
    expect(refusalOf(await gql<unknown>(esdc, DISCLOSURES, { p: p.esdc }))).toEqual({ code: 'FORBIDDEN', reason: 'not_a_collector_of_claimant' });
  });

  it('consent is collected only by the collectors the registry declares, for their purposes and recipients', async () => {
    const subject = newInternalId();
    const p = pseudonymsOf(subject);
    const otherPurpose = await gql<unknown>(mifi, RECORD, { input: input(p.mifi, { purpose: 'RELOCATION' }) });
    expect(refusalOf(otherPurpose)).toEqual({ code: 'FORBIDDEN', reason: 'collector_not_declared' });
    expect(otherPurpose.errors![0].message).toBe('the registry does not declare qc.mifi a consent collector for RELOCATION to ca.esdc');
    const otherRecipient = await gql<unknown>(mifi, RECORD, { input: input(p.mifi, { recipient: 'ca.ircc' }) });
    expect(refusalOf(otherRecipient)).toEqual({ code: 'FORBIDDEN', reason: 'collector_not_declared' });
    expect(await subjectsOfEntry(otherRecipient.auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN' });
    const { consents } = await decisions.list({ subject });
    expect(consents ?? []).toEqual([]);
  });

  it('a revoked consent is granted again only by its collector, with new evidence', async () => {
    const subject = newInternalId();
    const p = pseudonymsOf(subject);
    const form = evidenceOf('the form the claimant later revoked');
    const first = await gql<{ recordConsent: ConsentOut }>(mifi, RECORD, { input: input(p.mifi, { evidenceSha256: form }) });
    await gql(mifi, REVOKE, { id: first.data!.recordConsent.id });

    const byOtherCollector = await gql<unknown>(ircc, RECORD, { input: input(p.ircc) });
    expect(refusalOf(byOtherCollector)).toEqual({ code: 'FORBIDDEN', reason: 'regrant_not_by_collector' });
    expect(await subjectsOfEntry(byOtherCollector.auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN', subjects: [subject] });

    const sameEvidence = await gql<unknown>(mifi, RECORD, { input: input(p.mifi, { evidenceSha256: form }) });
    expect(refusalOf(sameEvidence)).toEqual({ code: 'CONFLICT', reason: 'regrant_evidence_reused' });
    expect(await subjectsOfEntry(sameEvidence.auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'CONFLICT' });
    expect(await decide(subject)).toMatchObject({ permit: false, reason: 'consent_revoked' });

    const newEvidence = await gql<{ recordConsent: ConsentOut }>(mifi, RECORD, { input: input(p.mifi, { evidenceSha256: evidenceOf('a newly signed form') }) });
    expect(newEvidence.errors).toBeUndefined();
    expect(newEvidence.data!.recordConsent).toMatchObject({ collectedBy: 'qc.mifi', recipient: 'ca.esdc', revokedAt: null });
    expect(await decide(subject)).toMatchObject({ permit: true, reason: 'ok' });
  });

  it('disclosures are open only to the declared collectors of the claimant, checked by consent-audit for the verified caller', async () => {
    const subject = newInternalId();
    const p = pseudonymsOf(subject);
    const before = await gql<unknown>(mifi, DISCLOSURES, { p: p.mifi });
    expect(refusalOf(before)).toEqual({ code: 'FORBIDDEN', reason: 'not_a_collector_of_claimant' });
    await gql(mifi, RECORD, { input: input(p.mifi) });
    const page = await gql<{ disclosures: { hasMore: boolean; disclosures: unknown[] } }>(mifi, DISCLOSURES, { p: p.mifi });
    expect(page.errors).toBeUndefined();
    expect(page.data!.disclosures).toEqual({ hasMore: expect.any(Boolean), disclosures: expect.any(Array) });
    const recipient = await gql<unknown>(esdc, DISCLOSURES, { p: p.esdc });
    expect(refusalOf(recipient)).toEqual({ code: 'FORBIDDEN', reason: 'not_a_collector_of_claimant' });
    expect(await subjectsOfEntry(recipient.auditSeq!)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN', subjects: [subject] });
    // a declared collector that collected nothing from this claimant
    expect(refusalOf(await gql<unknown>(ircc, DISCLOSURES, { p: p.ircc }))).toEqual({ code: 'FORBIDDEN', reason: 'not_a_collector_of_claimant' });
    // consent-audit itself refuses, whoever asks it directly: the acting agency is required and checked
    const direct = await failureOf(ledger.disclosures({ subject, first: 10, agency: 'ca.esdc' }));
    expect(direct).toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringMatching(/^not_a_collector_of_claimant: /) });
    expect(await failureOf(ledger.disclosures({ subject, first: 10 }))).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'agency is required (the acting agency, as the gateway verified it)' });
    expect((await ledger.disclosures({ subject, first: 10, agency: 'qc.mifi' })).hasMore).toBe(false);
  });
});
