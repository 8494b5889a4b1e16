import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import {
  createTestDatabase,
  createTestRegistry,
  queryAsOwner,
  startTestConsentAudit,
  startTestGateway,
  uniqueName,
  type TestConsentAudit,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
} from '@passerelle/testing';
import { connectConsentAudit, type ConsentAuditConnection } from '../consents/consent-audit-grpc';
import { connectLedger, type LedgerConnection } from '../ledger/ledger-grpc';

/**
 * jobMatches, referRelocation and referrals through the real gateway and consent-audit
 * (matches inserted as the consumer stores them; the Kafka path is job-match-pipeline's).
 * ESDC publishes; MIFI reads matches (agreement ESDC → MIFI, JOB_MATCHING, province + nocCode)
 * and refers to Ontario (agreement MIFI → MLTSD, RELOCATION, province only).
 */
const agreement = (id: string, provider: string, consumer: string, purposes: Agreement['purposes'], fields: Agreement['fields']): Agreement => ({
  id, provider, consumer, purposes, fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});

interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const JOB_MATCHES = `query($filter: JobMatchFilterInput, $first: Int, $after: String) {
  jobMatches(filter: $filter, first: $first, after: $after) { nodes { id pseudonym publisher province nocCode hourlyWageCents title matchedAt } pageInfo { hasNextPage endCursor } } }`;
const REFER = `mutation($p: String!, $to: String!, $m: ID!) { referRelocation(pseudonym: $p, toAgency: $to, jobMatchId: $m) { id jobMatchId toAgency disclosedFields } }`;
const REFERRALS = `query { referrals { nodes { pseudonym fromAgency title province nocCode withheld { field reason } } pageInfo { hasNextPage } } }`;

describe('job matches in the gateway', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let secretsDir: string;
  let consentAudit: TestConsentAudit;
  let gateway: TestGateway;
  let keyring: PseudonymKeyring;
  let consents: ConsentAuditConnection;
  let ledger: LedgerConnection;
  let withConsent: string;
  let withoutConsent: string;
  const consentIds: string[] = [];

  const client = (agency: string) => registry.client(agency, gateway.url);
  const entryOf = async (res: GatewayResponse) => JSON.parse((await ledger.entries({ start: res.auditSeq!, end: res.auditSeq! })).entries[0].canonicalJson) as {
    decision: string; reason: string; subjects: string[]; fields: string[]; operation: string;
  };
  // The claimant consents through a collector, never through the recipient itself (issue 14, hole 2).
  const collectorFor = (recipient: string) => (recipient === 'qc.mifi' ? 'ca.esdc' : 'qc.mifi');
  const grant = async (subject: string, purpose: string, recipient: string) => {
    const record = await consents.record({
      subject, purpose, recipient, collectedBy: collectorFor(recipient),
      validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
      evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
    });
    consentIds.push(record.id);
    return record;
  };
  const insertMatch = async (subject: string, eventId: string, province: string, nocCode: string, wage: number, matchedAt: string) =>
    (await queryAsOwner<{ id: string }>(db.url,
      `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
       VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Patient care aide', $3, $4, 'Somewhere', $5, 'EN_OR_FR', 0.9, $6) RETURNING id`,
      [eventId, subject, nocCode, province, wage, matchedAt]))[0].id;

  beforeAll(async () => {
    db = await createTestDatabase('jmgw');
    registry = await createTestRegistry({
      agencies: [
        { id: 'ca.esdc', roles: ['PROVIDER', 'CONSUMER', 'PUBLISHER'] },
        { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
        { id: 'on.mltsd', roles: ['CONSUMER'], jurisdiction: 'ON' },
      ],
      agreements: [
        agreement('dsa-esdc-mifi-matches', 'ca.esdc', 'qc.mifi', ['JOB_MATCHING'], ['province', 'nocCode']),
        agreement('dsa-mifi-mltsd-reloc', 'qc.mifi', 'on.mltsd', ['RELOCATION'], ['province']),
      ],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
    });
    secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jm-gateway-e2e-'));
    consentAudit = await startTestConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir });
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: consentAudit.url, secretsDir });
    keyring = await loadPseudonymKeyring(secretsDir);
    consents = connectConsentAudit(consentAudit.url);
    ledger = connectLedger(consentAudit.url);
    withConsent = toInternalId(keyring, uniqueName('CLIENT'));
    withoutConsent = toInternalId(keyring, uniqueName('CLIENT'));
    await grant(withConsent, 'JOB_MATCHING', 'qc.mifi');
    await grant(withConsent, 'RELOCATION', 'on.mltsd');
    await insertMatch(withConsent, 'e1', 'ON', '33102', 2500, '2026-03-03T10:00:00Z');
    await insertMatch(withConsent, 'e2', 'QC', '64410', 1800, '2026-03-02T10:00:00Z');
    await insertMatch(withConsent, 'e3', 'ON', '65201', 1700, '2026-03-01T10:00:00Z');
    await insertMatch(withoutConsent, 'e4', 'ON', '33102', 2600, '2026-03-04T10:00:00Z');
  });

  afterAll(async () => {
    consents?.close();
    ledger?.close();
    await gateway?.stop();
    await consentAudit?.stop();
    await db?.drop();
    await registry?.cleanup();
    fs.rmSync(secretsDir, { recursive: true, force: true });
  });

  type Page = { jobMatches: { nodes: Array<{ id: string; pseudonym: string; province: string; nocCode: string; hourlyWageCents: number }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

  it("lists only consented matches, by the caller's own pseudonyms, filtered and paged, and records the disclosure", async () => {
    const mifi = client('qc.mifi');
    const all = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { first: 2 }, 'JOB_MATCHING');
    expect(all.json.errors).toBeUndefined();
    const own = toAgencyPseudonym(keyring, 'qc.mifi', withConsent);
    expect(all.json.data!.jobMatches.nodes.map((n) => [n.pseudonym, n.province, n.nocCode])).toEqual([
      [own, 'ON', '33102'],
      [own, 'QC', '64410'],
    ]);
    expect(all.json.data!.jobMatches.pageInfo.hasNextPage).toBe(true);
    const next = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { first: 2, after: all.json.data!.jobMatches.pageInfo.endCursor }, 'JOB_MATCHING');
    expect(next.json.data!.jobMatches.nodes.map((n) => n.nocCode)).toEqual(['65201']);
    expect(next.json.data!.jobMatches.pageInfo.hasNextPage).toBe(false);

    const filtered = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { province: 'ON', minHourlyWageCents: 2000, postedSince: '2026-01-01' } }, 'JOB_MATCHING');
    expect(filtered.json.data!.jobMatches.nodes.map((n) => n.hourlyWageCents)).toEqual([2500]);
    const entry = await entryOf(filtered);
    expect(entry).toMatchObject({ decision: 'PERMIT', subjects: [withConsent], fields: ['nocCode', 'province'] });
  });

  it('consent gates disclosure: matches hidden by consent shape neither the pages, nor hasNextPage, nor the cursor', async () => {
    const mifi = client('qc.mifi');
    type Walked = Array<{ ids: string[]; hasNextPage: boolean }>;
    const walk = async (filter: Record<string, unknown>): Promise<{ pages: Walked; cursors: string[] }> => {
      const pages: Walked = [];
      const cursors: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const res: GatewayResponse<GraphqlBody<Page>> = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter, first: 1, after }, 'JOB_MATCHING');
        const page: Page['jobMatches'] = res.json.data!.jobMatches;
        pages.push({ ids: page.nodes.map((n) => n.id), hasNextPage: page.pageInfo.hasNextPage });
        if (page.pageInfo.endCursor) cursors.push(page.pageInfo.endCursor);
        expect((await entryOf(res)).subjects).not.toContain(withoutConsent);
        if (!page.pageInfo.hasNextPage) return { pages, cursors };
        after = page.pageInfo.endCursor;
      }
      throw new Error('the walk did not end');
    };
    const filters = [{}, { province: 'ON' }, { nocCode: '33102' }, { minHourlyWageCents: 1750 }];
    const before: Array<{ pages: Walked; cursors: string[] }> = [];
    for (const f of filters) before.push(await walk(f));
    // Hidden matches (no consent) older than every visible one, between two, and matching each filter.
    const hidden = [
      await insertMatch(withoutConsent, 'h1', 'ON', '33102', 2600, '2026-02-01T10:00:00Z'),
      await insertMatch(withoutConsent, 'h2', 'ON', '33102', 2600, '2026-03-02T12:00:00Z'),
    ];
    for (const [i, f] of filters.entries()) {
      const after = await walk(f);
      expect([f, after.pages]).toEqual([f, before[i].pages]);
      // No cursor carries a hidden match's id or time, in any encoding.
      for (const c of after.cursors) {
        const decoded = Buffer.from(c.replace(/\./g, ''), 'base64url').toString('latin1') + c;
        for (const h of hidden) expect(decoded).not.toContain(h);
        expect(decoded).not.toContain('2026-02-01');
      }
    }
    expect(before[0].pages.map((p) => p.ids.length)).toEqual([1, 1, 1]);
    expect(before[0].pages.map((p) => p.hasNextPage)).toEqual([true, true, false]);
  });

  it('match cursors are bound to agency, purpose and filter, refused when altered, and the refusal audited', async () => {
    const mifi = client('qc.mifi');
    const first = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { province: 'ON' }, first: 1 }, 'JOB_MATCHING');
    const cursor = first.json.data!.jobMatches.pageInfo.endCursor!;
    const next = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { province: 'ON' }, first: 1, after: cursor }, 'JOB_MATCHING');
    expect(next.json.errors).toBeUndefined();
    const flip = (c: string, i: number) => c.slice(0, i) + (c[i] === 'A' ? 'B' : 'A') + c.slice(i + 1);
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['another filter', { filter: { province: 'QC' }, after: cursor }],
      ['no filter', { after: cursor }],
      ['tampered', { filter: { province: 'ON' }, after: flip(cursor, 6) }],
      ['an old-style cursor', { filter: { province: 'ON' }, after: Buffer.from(JSON.stringify(['2026-03-03T10:00:00.000Z', first.json.data!.jobMatches.nodes[0].id])).toString('base64url') }],
    ];
    for (const [name, vars] of attempts) {
      const res = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { first: 1, ...vars }, 'JOB_MATCHING');
      expect([name, res.json.errors?.[0].extensions?.code]).toEqual([name, 'INVALID_CURSOR']);
      expect([name, await entryOf(res)]).toMatchObject([name, { decision: 'DENY', reason: 'INVALID_CURSOR', subjects: [] }]);
    }
    // Another agency cannot continue it either (ESDC reads nothing under JOB_MATCHING here: no agreement first).
    const esdc = await client('ca.esdc').graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { province: 'ON' }, first: 1, after: cursor }, 'JOB_MATCHING');
    expect(esdc.json.errors?.[0].extensions?.code).toBe('NO_AGREEMENT');
  });

  it('refuses bad input with a specific message and an agency without an agreement', async () => {
    const bad = await client('qc.mifi').graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { nocCode: '12' } }, 'JOB_MATCHING');
    expect(bad.json.errors?.[0]).toMatchObject({ message: 'filter.nocCode must be a NOC 2021 code of exactly 5 digits', extensions: { code: 'BAD_USER_INPUT' } });
    const cursor = await client('qc.mifi').graphql<GraphqlBody<Page>>(JOB_MATCHES, { after: 'nonsense' }, 'JOB_MATCHING');
    expect(cursor.json.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
    expect(await entryOf(cursor)).toMatchObject({ decision: 'DENY', reason: 'INVALID_CURSOR' });
    const mltsd = await client('on.mltsd').graphql<GraphqlBody<Page>>(JOB_MATCHES, {}, 'JOB_MATCHING');
    expect(mltsd.json.errors?.[0].extensions?.code).toBe('NO_AGREEMENT');
    expect((await entryOf(mltsd)).decision).toBe('DENY');
  });

  it('refers a claimant to another agency, which sees only the fields its agreement allows', async () => {
    const mifi = client('qc.mifi');
    const own = toAgencyPseudonym(keyring, 'qc.mifi', withConsent);
    const list = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, { filter: { province: 'ON', nocCode: '33102' } }, 'JOB_MATCHING');
    const matchId = list.json.data!.jobMatches.nodes[0].id;
    const referred = await mifi.graphql<GraphqlBody<{ referRelocation: { toAgency: string; disclosedFields: string[] } }>>(REFER, { p: own, to: 'on.mltsd', m: matchId }, 'RELOCATION');
    expect(referred.json.errors).toBeUndefined();
    expect(referred.json.data!.referRelocation).toMatchObject({ toAgency: 'on.mltsd', disclosedFields: ['province'] });
    expect(await entryOf(referred)).toMatchObject({ decision: 'PERMIT', subjects: [withConsent], fields: ['province'] });

    type Received = { referrals: { nodes: Array<{ pseudonym: string; fromAgency: string; province: string | null; nocCode: string | null; withheld: Array<{ field: string; reason: string }> }> } };
    const received = await client('on.mltsd').graphql<GraphqlBody<Received>>(REFERRALS, undefined, 'RELOCATION');
    expect(received.json.data!.referrals.nodes).toEqual([
      { pseudonym: toAgencyPseudonym(keyring, 'on.mltsd', withConsent), fromAgency: 'qc.mifi', title: 'Patient care aide', province: 'ON', nocCode: null, withheld: [{ field: 'nocCode', reason: 'field_not_covered' }] },
    ]);
    expect(await entryOf(received)).toMatchObject({ decision: 'PERMIT', subjects: [withConsent], fields: ['province'] });

    // Another agency's pseudonym, or a match of someone else, is simply not found.
    const foreign = await mifi.graphql<GraphqlBody<unknown>>(REFER, { p: toAgencyPseudonym(keyring, 'on.mltsd', withConsent), to: 'on.mltsd', m: matchId }, 'RELOCATION');
    expect(foreign.json.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('consent gates disclosure: a referral hidden by a revoked consent shapes neither the pages nor hasNextPage', async () => {
    const REFERRALS_PAGE = `query($first: Int, $after: String) { referrals(first: $first, after: $after) { nodes { pseudonym } pageInfo { hasNextPage endCursor } } }`;
    type Received = { referrals: { nodes: Array<{ pseudonym: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const walk = async () => {
      const pages: Array<{ nodes: string[]; hasNextPage: boolean }> = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const res: GatewayResponse<GraphqlBody<Received>> = await client('on.mltsd').graphql<GraphqlBody<Received>>(REFERRALS_PAGE, { first: 1, after }, 'RELOCATION');
        const page: Received['referrals'] = res.json.data!.referrals;
        pages.push({ nodes: page.nodes.map((n) => n.pseudonym), hasNextPage: page.pageInfo.hasNextPage });
        if (!page.pageInfo.hasNextPage) return pages;
        after = page.pageInfo.endCursor;
      }
      throw new Error('the walk did not end');
    };
    const onlyFirst = await walk();
    expect(onlyFirst).toEqual([{ nodes: [toAgencyPseudonym(keyring, 'on.mltsd', withConsent)], hasNextPage: false }]);
    // A second claimant is referred (newest), then withdraws the RELOCATION consent.
    const second = toInternalId(keyring, uniqueName('CLIENT'));
    const jobMatching = await grant(second, 'JOB_MATCHING', 'qc.mifi');
    const relocation = await grant(second, 'RELOCATION', 'on.mltsd');
    const matchId = await insertMatch(second, 'r2', 'ON', '33102', 2500, '2026-03-05T10:00:00Z');
    const referred = await client('qc.mifi').graphql<GraphqlBody<unknown>>(REFER, { p: toAgencyPseudonym(keyring, 'qc.mifi', second), to: 'on.mltsd', m: matchId }, 'RELOCATION');
    expect(referred.json.errors).toBeUndefined();
    expect((await walk()).map((p) => p.nodes.length)).toEqual([1, 1]);
    await consents.revoke({ consentId: relocation.id, revokedBy: 'qc.mifi' });
    expect(await walk()).toEqual(onlyFirst);
    await consents.revoke({ consentId: jobMatching.id, revokedBy: jobMatching.collectedBy });
  });

  it('stops disclosing matches at once when the claimant revokes JOB_MATCHING consent', async () => {
    const mifi = client('qc.mifi');
    const before = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, {}, 'JOB_MATCHING');
    expect(before.json.data!.jobMatches.nodes).toHaveLength(3);
    const jobMatching = (await consents.list({ subject: withConsent })).consents.find((c) => c.purpose === 'JOB_MATCHING')!;
    await consents.revoke({ consentId: jobMatching.id, revokedBy: jobMatching.collectedBy });
    const after = await mifi.graphql<GraphqlBody<Page>>(JOB_MATCHES, {}, 'JOB_MATCHING');
    expect(after.json.data!.jobMatches.nodes).toEqual([]);
    // The matches are still stored (purged by the consumer after the grace period).
    expect((await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM job_matches WHERE subject = $1', [withConsent]))[0].n).toBe('3');
  });
});
