/**
 * Consent gates disclosure in listings (issue 14, hole 1): the claimants an agency may not see
 * now shape nothing it can observe: not the nodes, not where pages end, not hasNextPage, not the
 * cursor. Cursors are opaque, bound to agency, purpose, filter and ordering, and every refusal is
 * audited. The built gateway and the real consent-audit (Decide, consents, ledger) on their own
 * database, in a world of its own so that the walk covers every claimant it holds.
 */
import { fromAgencyPseudonym } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import { createClaimantsWorld, grantConsent, ledgerEntryOf, markerClientId, type ClaimantsWorld, type GraphqlBody } from './harness';

jest.setTimeout(120_000);

const CLAIMANTS = `query Many($filter: ClaimantFilterInput, $first: Int, $after: String) {
  claimants(filter: $filter, first: $first, after: $after) { nodes { pseudonym claimStatus frenchLevel nocCode } pageInfo { endCursor hasNextPage } }
}`;
const SUBMIT = `mutation Submit($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;

interface Page {
  claimants: { nodes: Array<{ pseudonym: string }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}
interface Submitted {
  submitClaimants: { accepted: Array<{ index: number; pseudonym: string }>; rejected: Array<{ index: number; reason: string }> };
}

let world: ClaimantsWorld;
const marker = () => markerClientId();
const internalOf = (agency: string, pseudonym: string) => fromAgencyPseudonym(world.keyring, agency, pseudonym)!;
async function submitOk(agency: string, records: unknown[]) {
  const res = await world.client(agency).graphql<GraphqlBody<Submitted>>(SUBMIT, { records }, 'PROVISION');
  if (!res.json?.data) throw new Error(`submission failed: ${res.body}`);
  return res.json.data.submitClaimants;
}

beforeAll(async () => {
  world = await createClaimantsWorld();
});
afterAll(async () => {
  await world?.stop();
});

describe('consent gates disclosure: no filter, page or cursor oracle', () => {
  // A cohort only this block uses (NOC 99901), seen by ca.esdc for JOB_MATCHING (consent required):
  // ircc gives claimStatus, mifi gives frenchLevel and nocCode.
  const NOC = '99901';
  const LEVELS = [5, 6, 7, 8, 9, 10];
  const STATUSES = ['PENDING', 'APPEAL_PENDING', 'PENDING', 'REJECTED', 'ACCEPTED', 'PENDING'];
  let visible: Array<{ subject: string; level: number; status: string }>;
  const esdc = () => world.client('ca.esdc');
  const filters: Array<Record<string, unknown>> = [
    { nocCode: [NOC] },
    { nocCode: [NOC], frenchLevelAtLeast: 10 },
    { nocCode: [NOC], frenchLevelAtLeast: 11 },
    { nocCode: [NOC], frenchLevelAtLeast: 12 },
    { nocCode: [NOC], claimStatus: ['REJECTED'] },
    { nocCode: [NOC], claimStatus: ['WITHDRAWN'] },
    { nocCode: [NOC], claimStatus: ['WITHDRAWN'], frenchLevelAtLeast: 11 },
  ];

  /** Submits one claimant to ircc and mifi; returns the internal id. */
  async function claimant(level: number, status: string): Promise<string> {
    const clientId = marker();
    const [ircc] = (await submitOk('ca.ircc', [{ clientId, claimStatus: status, province: 'QC' }])).accepted;
    await submitOk('qc.mifi', [{ clientId, frenchLevel: level, nocCode: NOC, province: 'QC' }]);
    return internalOf('ca.ircc', ircc.pseudonym);
  }

  /** What an agency walking `first: 1` pages observes, and the subjects the ledger says it was shown. */
  async function walk(filter: Record<string, unknown>) {
    const pages: Array<{ nodes: string[]; hasNextPage: boolean }> = [];
    const ledgerSubjects: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res: GatewayResponse<GraphqlBody<Page>> = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter, first: 1, after }, 'JOB_MATCHING');
      if (!res.json.data) throw new Error(res.body);
      const page: Page['claimants'] = res.json.data.claimants;
      pages.push({ nodes: page.nodes.map((n) => internalOf('ca.esdc', n.pseudonym)), hasNextPage: page.pageInfo.hasNextPage });
      ledgerSubjects.push(...(await ledgerEntryOf(world, res)).subjects);
      if (!page.pageInfo.hasNextPage) {
        // The last cursor leads nowhere, in either world.
        const beyond = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter, first: 1, after: page.pageInfo.endCursor }, 'JOB_MATCHING');
        pages.push({ nodes: beyond.json.data!.claimants.nodes.map((n) => n.pseudonym), hasNextPage: beyond.json.data!.claimants.pageInfo.hasNextPage });
        return { pages, ledgerSubjects };
      }
      after = page.pageInfo.endCursor;
    }
    throw new Error('the walk did not end');
  }

  /** The walk a world holding only the visible cohort gives: one node per page, in subject order. */
  function expectedWalk(filter: { frenchLevelAtLeast?: number; claimStatus?: string[] }) {
    const seen = visible
      .filter((v) => (filter.frenchLevelAtLeast === undefined || v.level >= filter.frenchLevelAtLeast) && (!filter.claimStatus || filter.claimStatus.includes(v.status)))
      .map((v) => v.subject)
      .sort();
    const pages = seen.length === 0 ? [{ nodes: [], hasNextPage: false }] : seen.map((s, i) => ({ nodes: [s], hasNextPage: i < seen.length - 1 }));
    return [...pages, { nodes: [], hasNextPage: false }];
  }

  beforeAll(async () => {
    visible = [];
    for (const [i, level] of LEVELS.entries()) {
      const subject = await claimant(level, STATUSES[i]);
      await grantConsent(world, subject, 'JOB_MATCHING', 'ca.esdc');
      visible.push({ subject, level, status: STATUSES[i] });
    }
  });

  it('a claimant who never consented shapes no page, hasNextPage or cursor, whatever the filter tests', async () => {
    const before: Array<Awaited<ReturnType<typeof walk>>> = [];
    for (const f of filters) before.push(await walk(f));
    filters.forEach((f, i) => expect([f, before[i].pages]).toEqual([f, expectedWalk(f)]));

    // The hidden claimants: one who never consented (NCLC 11, WITHDRAWN: values no visible one has),
    // one whose consent was revoked, one who consented to another agency only.
    const never = await claimant(11, 'WITHDRAWN');
    const revoked = await claimant(12, 'WITHDRAWN');
    await world.consents.revoke({ consentId: (await grantConsent(world, revoked, 'JOB_MATCHING', 'ca.esdc')).id, revokedBy: 'qc.mifi' });
    const elsewhere = await claimant(11, 'REJECTED');
    await grantConsent(world, elsewhere, 'JOB_MATCHING', 'on.mltsd');

    for (const [i, f] of filters.entries()) {
      const after = await walk(f);
      expect([f, after.pages]).toEqual([f, before[i].pages]);
      for (const hidden of [never, revoked, elsewhere]) expect(after.ledgerSubjects).not.toContain(hidden);
    }
  });

  it('refuses a filter on a field outside the agreement, and audits the refusal', async () => {
    const res = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter: { nocCode: [NOC], healthCareHoursAtLeast: 1 } }, 'JOB_MATCHING');
    expect(res.json.errors?.[0]).toMatchObject({ extensions: { code: 'NO_AGREEMENT' }, message: expect.stringContaining('cannot filter on healthCareHours') });
    expect(await ledgerEntryOf(world, res)).toMatchObject({ decision: 'DENY', reason: 'NO_AGREEMENT', subjects: [] });
  });

  it('cursors are bound to agency, purpose and filter, refused when altered, and every refusal is audited', async () => {
    const first = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter: { nocCode: [NOC] }, first: 1 }, 'JOB_MATCHING');
    const cursor = first.json.data!.claimants.pageInfo.endCursor!;
    // Opaque: neither the subject nor its pseudonyms are in it, and asking again gives another cursor.
    const shown = internalOf('ca.esdc', first.json.data!.claimants.nodes[0].pseudonym);
    expect(Buffer.from(cursor.replace(/\./g, ''), 'base64url').toString('latin1')).not.toContain(shown);
    const again = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter: { nocCode: [NOC] }, first: 1 }, 'JOB_MATCHING');
    expect(again.json.data!.claimants.pageInfo.endCursor).not.toBe(cursor);
    // The happy path: the cursor continues the walk it was minted for.
    const next = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { filter: { nocCode: [NOC] }, first: 1, after: cursor }, 'JOB_MATCHING');
    expect(next.json.errors).toBeUndefined();
    expect(next.json.data!.claimants.nodes.map((n) => internalOf('ca.esdc', n.pseudonym))).not.toContain(shown);

    // Someone on.mltsd may see (RELOCATION, consented) and ESDC may see for PROGRAM_ELIGIBILITY (msss, no consent needed).
    const clientId = marker();
    const [seenElsewhere] = (await submitOk('ca.ircc', [{ clientId, claimStatus: 'PENDING', province: 'QC' }])).accepted;
    await submitOk('qc.msss', [{ clientId, sector: 'HEALTH_CARE', nocCode: NOC }]);
    await grantConsent(world, internalOf('ca.ircc', seenElsewhere.pseudonym), 'RELOCATION', 'on.mltsd');
    const mltsd = await world.client('on.mltsd').graphql<GraphqlBody<Page>>(CLAIMANTS, { first: 1 }, 'RELOCATION');
    const otherAgency = mltsd.json.data!.claimants.pageInfo.endCursor!;
    const otherPurpose = (await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { first: 1 }, 'PROGRAM_ELIGIBILITY')).json.data!.claimants.pageInfo.endCursor!;
    const flip = (c: string, i: number) => c.slice(0, i) + (c[i] === 'A' ? 'B' : 'A') + c.slice(i + 1);
    const attempts: Array<[string, Record<string, unknown>]> = [
      ["another agency's cursor", { filter: { nocCode: [NOC] }, after: otherAgency }],
      ['a cursor minted for another purpose', { filter: { nocCode: [NOC] }, after: otherPurpose }],
      ['a cursor minted for another filter', { filter: { nocCode: [NOC], frenchLevelAtLeast: 11 }, after: cursor }],
      ['a cursor minted for a filter, used without it', { after: cursor }],
      ['a tampered cursor (position)', { filter: { nocCode: [NOC] }, after: flip(cursor, 5) }],
      ['a tampered cursor (tag)', { filter: { nocCode: [NOC] }, after: flip(cursor, cursor.length - 3) }],
      ['an old-style cursor', { filter: { nocCode: [NOC] }, after: `c_${shown}` }],
    ];
    for (const [name, vars] of attempts) {
      const res = await esdc().graphql<GraphqlBody<Page>>(CLAIMANTS, { first: 1, ...vars }, 'JOB_MATCHING');
      expect([name, res.json.data, res.json.errors?.[0].extensions?.code]).toEqual([name, null, 'INVALID_CURSOR']);
      expect([name, await ledgerEntryOf(world, res)]).toMatchObject([name, { decision: 'DENY', reason: 'INVALID_CURSOR', subjects: [] }]);
    }
  });
});
