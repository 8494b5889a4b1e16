import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * Language levels in the fit of relocationCandidates (issue 16): an offer's minimum English (CLB)
 * and French (NCLC) levels decide who fits, on the levels the offering province may see under
 * agreement and consent; a province whose agreement does not give it the levels is told of nobody.
 * Postings state minimums too: jobMatches gives a languageFit on the levels the caller may see.
 */
const agreement = (id: string, provider: string, consumer: string, fields: Agreement['fields'], purposes: Agreement['purposes'] = ['RELOCATION']): Agreement => ({
  id, provider, consumer, purposes, fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
type Candidates = { relocationCandidates: { consenting: { value: number | null; suppressed: boolean }; willing: Array<{ pseudonym: string }> } };
const SUBMIT = `mutation($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;
const PUBLISH = `mutation($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { id } }`;
const CANDIDATES = `query($o: ID!) { relocationCandidates(offer: $o) { consenting { value suppressed } willing { pseudonym } } }`;
const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const terms = (languageSupport: string, minFrenchLevel: number | null, minEnglishLevel: number | null) => ({
  regions: ['Moncton'], nocCodes: ['33102'], places: 10, periodStart: '2027-01-01', periodEnd: '2027-12-31', languageSupport, minFrenchLevel, minEnglishLevel,
  settlementServices: ['LANGUAGE_TRAINING'], contact: { kind: 'EMAIL', value: 'relocation@province.example' },
});

describe('language levels in the relocation fit', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose = 'RELOCATION') =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;
  const groups: Record<string, string[]> = { english7: [], english5: [], french9: [] };
  const jobSubjects: Record<string, string[]> = { english7: [], english5: [], french9: [] };

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('langfit'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['PROVIDER', 'CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl', ['nocCode', 'frenchLevel', 'englishLevel']), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd', ['nocCode']),
          // jobMatches: the matches from ESDC, the levels from MIFI; Ontario's agreement lacks frenchLevel.
          agreement('dsa-esdc-petl-jobs', 'ca.esdc', 'nb.petl', ['province', 'nocCode'], ['JOB_MATCHING']),
          agreement('dsa-esdc-mltsd-jobs', 'ca.esdc', 'on.mltsd', ['province', 'nocCode'], ['JOB_MATCHING']),
          agreement('dsa-mifi-petl-jobs', 'qc.mifi', 'nb.petl', ['frenchLevel', 'englishLevel'], ['JOB_MATCHING']),
          agreement('dsa-mifi-mltsd-jobs', 'qc.mifi', 'on.mltsd', ['englishLevel'], ['JOB_MATCHING'])],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    // 12 with CLB 7, 4 with CLB 5, 11 with NCLC 9 and no English tested; each with a match in NB and ON for 33102, willing to go to both.
    const plan: Array<[keyof typeof groups, number, { englishLevel?: number; frenchLevel?: number }]> = [['english7', 12, { englishLevel: 7 }], ['english5', 4, { englishLevel: 5 }], ['french9', 11, { frenchLevel: 9 }]];
    const records = plan.flatMap(([group, n, levels]) => Array.from({ length: n }, () => ({ group, clientId: uniqueName('CLIENT'), ...levels })));
    const submitted = await call<{ submitClaimants: { accepted: Array<{ index: number; pseudonym: string }>; rejected: unknown[] } }>('qc.mifi', SUBMIT, { records: records.map(({ group: _g, ...r }) => r) }, 'PROVISION');
    expect(submitted.json.data!.submitClaimants.rejected).toEqual([]);
    for (const r of records) {
      const subject = toInternalId(keyring, r.clientId);
      groups[r.group].push(subject);
      for (const province of ['NB', 'ON']) {
        await queryAsOwner(db.url,
          `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
           VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Job', '33102', $3, 'City', 2500, 'EN_OR_FR', 0.9, now())`, [uniqueName('event'), subject, province]);
      }
      for (const recipient of ['nb.petl', 'on.mltsd']) {
        const consent = await call<unknown>('qc.mifi', RECORD, {
          input: {
            pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject), purpose: 'RELOCATION', recipient,
            validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
          },
        }, 'CONSENT_MANAGEMENT');
        expect(consent.json.errors).toBeUndefined();
      }
    }
    // Two claimants of each group consent to JOB_MATCHING by both provinces and have two NB postings
    // with minimums: 21231 asks French NCLC 7, 21232 English CLB 6.
    for (const group of Object.keys(groups)) {
      for (const subject of groups[group].slice(0, 2)) {
        jobSubjects[group].push(subject);
        for (const [noc, requirement, clb, nclc] of [['21231', 'FR', null, 7], ['21232', 'EN', 6, null]] as const) {
          await queryAsOwner(db.url,
            `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, min_english_clb, min_french_nclc, score, matched_at)
             VALUES ('ca.esdc', $1, 'b2', $2, $1, 'Job', $3, 'NB', 'Moncton', 2500, $4, $5, $6, 0.9, now())`, [uniqueName('event'), subject, noc, requirement, clb, nclc]);
        }
        for (const recipient of ['nb.petl', 'on.mltsd']) {
          const consent = await call<unknown>('qc.mifi', RECORD, {
            input: {
              pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject), purpose: 'JOB_MATCHING', recipient,
              validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
              evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
            },
          }, 'CONSENT_MANAGEMENT');
          expect(consent.json.errors).toBeUndefined();
        }
      }
    }
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  const fit = async (agency: string, input: ReturnType<typeof terms>) => {
    const offer = await call<{ publishRelocationOffer: { id: string } }>(agency, PUBLISH, { input });
    expect(offer.json.errors).toBeUndefined();
    const res = await call<Candidates>(agency, CANDIDATES, { o: offer.json.data!.publishRelocationOffer.id });
    expect(res.json.errors).toBeUndefined();
    return { answer: res.json.data!.relocationCandidates, res };
  };
  const pseudonyms = (agency: string, ...names: string[]) => new Set(names.flatMap((n) => groups[n]).map((s) => toAgencyPseudonym(keyring, agency, s)));

  it('an English offer at CLB 6 fits the CLB 7 claimants only, and reads englishLevel under the agreement', async () => {
    const { answer, res } = await fit('nb.petl', terms('EN', null, 6));
    expect(answer.consenting).toEqual({ value: 12, suppressed: false });
    expect(new Set(answer.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'english7'));
    expect(await entryOf(res)).toMatchObject({ decision: 'PERMIT', fields: ['englishLevel', 'nocCode'] });
  });

  it('a French offer at NCLC 7 fits the NCLC 9 claimants; a bilingual one fits either scale', async () => {
    const french = (await fit('nb.petl', terms('FR', 7, null))).answer;
    expect(french.consenting).toEqual({ value: 11, suppressed: false });
    expect(new Set(french.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'french9'));
    const both = (await fit('nb.petl', terms('EN_AND_FR', 7, 6))).answer;
    expect(both.consenting).toEqual({ value: 23, suppressed: false });
    expect(new Set(both.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'english7', 'french9'));
    const high = (await fit('nb.petl', terms('EN', null, 8))).answer;
    expect(high).toEqual({ consenting: { value: 0, suppressed: false }, willing: [] });
    const none = (await fit('nb.petl', terms('EN_AND_FR', null, null))).answer;
    expect(none.consenting).toEqual({ value: 27, suppressed: false });
  });

  it('a province whose agreement does not give it the levels is told of nobody for a language condition, and nothing of them is disclosed', async () => {
    const { answer, res } = await fit('on.mltsd', terms('EN', null, 6));
    expect(answer).toEqual({ consenting: { value: 0, suppressed: false }, willing: [] });
    expect(await entryOf(res)).toMatchObject({ decision: 'PERMIT', subjects: [], fields: [] });
    // Without a language condition it sees them all, by nocCode only.
    expect((await fit('on.mltsd', terms('EN', null, null))).answer.consenting).toEqual({ value: 27, suppressed: false });
  });

  type Matches = { jobMatches: { nodes: Array<{ pseudonym: string; nocCode: string; minEnglishClb: number | null; minFrenchNclc: number | null; languageFit: string }> } };
  const MATCHES = `query($f: JobMatchFilterInput) { jobMatches(filter: $f, first: 100) { nodes { pseudonym nocCode minEnglishClb minFrenchNclc languageFit } } }`;
  const matches = async (agency: string, filter: Record<string, unknown>) => {
    const res = await call<Matches>(agency, MATCHES, { f: filter }, 'JOB_MATCHING');
    expect(res.json.errors).toBeUndefined();
    return { res, fits: new Map(res.json.data!.jobMatches.nodes.map((n) => [n.pseudonym, n.languageFit])), nodes: res.json.data!.jobMatches.nodes };
  };
  const fitsOf = (agency: string, byGroup: Record<string, string>) =>
    new Map(Object.entries(byGroup).flatMap(([group, fit]) => jobSubjects[group].map((s) => [toAgencyPseudonym(keyring, agency, s), fit] as const)));

  it('jobMatches gives the posting minimums and a languageFit on the levels the caller may see', async () => {
    const french = await matches('nb.petl', { nocCode: '21231' });
    expect(french.nodes.every((n) => n.minFrenchNclc === 7 && n.minEnglishClb === null)).toBe(true);
    expect(french.fits).toEqual(fitsOf('nb.petl', { french9: 'MEETS', english7: 'DOES_NOT_MEET', english5: 'DOES_NOT_MEET' }));
    expect((await entryOf(french.res)).fields).toEqual(expect.arrayContaining(['frenchLevel', 'nocCode', 'province']));
    const english = await matches('nb.petl', { nocCode: '21232' });
    expect(english.nodes.every((n) => n.minEnglishClb === 6 && n.minFrenchNclc === null)).toBe(true);
    expect(english.fits).toEqual(fitsOf('nb.petl', { english7: 'MEETS', english5: 'DOES_NOT_MEET', french9: 'DOES_NOT_MEET' }));
    // A posting without minimums sets no condition.
    expect(new Set((await matches('nb.petl', { nocCode: '33102' })).nodes.map((n) => n.languageFit))).toEqual(new Set(['MEETS']));
    // The filter keeps only the fitting ones.
    expect((await matches('nb.petl', { nocCode: '21231', languageFit: 'MEETS' })).fits).toEqual(fitsOf('nb.petl', { french9: 'MEETS' }));
  });

  it('a caller whose agreement lacks frenchLevel cannot learn it through languageFit: UNDETERMINED, and the filter finds nobody', async () => {
    const french = await matches('on.mltsd', { nocCode: '21231' });
    expect(french.fits).toEqual(fitsOf('on.mltsd', { french9: 'UNDETERMINED', english7: 'UNDETERMINED', english5: 'UNDETERMINED' }));
    expect((await entryOf(french.res)).fields).not.toContain('frenchLevel');
    expect((await matches('on.mltsd', { nocCode: '21231', languageFit: 'MEETS' })).nodes).toEqual([]);
    expect((await matches('on.mltsd', { nocCode: '21231', languageFit: 'DOES_NOT_MEET' })).nodes).toEqual([]);
    // English, which its agreement gives it, is decided.
    expect((await matches('on.mltsd', { nocCode: '21232' })).fits).toEqual(fitsOf('on.mltsd', { english7: 'MEETS', english5: 'DOES_NOT_MEET', french9: 'DOES_NOT_MEET' }));
  });

  it('refuses a languageFit filter outside the enum', async () => {
    const res = await call<Matches>('nb.petl', MATCHES, { f: { languageFit: 'PROBABLY' } }, 'JOB_MATCHING');
    expect(res.json.errors?.length).toBeGreaterThan(0);
    expect(res.json.data?.jobMatches ?? null).toBeNull();
  });
});
