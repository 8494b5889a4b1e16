import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { LedgerEntryJson } from '@passerelle/contracts';
import type { GatewayResponse } from '@passerelle/client';
import type { ProgramDefinition } from '@passerelle/policy';
import type { Agreement, RegistryDocument } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { connectConsentAudit, type ConsentAuditConnection } from '../consents/consent-audit-grpc';

/**
 * Programs through the real gateway and the real consent-audit (signed requests, real Postgres,
 * real Decide and ledger; PROGRAM_ELIGIBILITY needs the claimant's consent in this registry):
 * eligibility on what the caller may see now, and the cap under a race.
 */
const TODAY = new Date().toISOString().slice(0, 10);
const NEXT_YEAR = `${Number(TODAY.slice(0, 4)) + 1}-12-31`;
const CAP = 5;

const raceProgram: ProgramDefinition = {
  id: 'race-test-program',
  names: { en: 'Race test', fr: 'Essai de course' },
  conditions: [
    { name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] },
    { name: 'health-care-employer', kind: 'sectorIn', sectors: ['HEALTH_CARE'] },
  ],
  cap: CAP,
  capPeriod: { from: '2020-01-01', to: NEXT_YEAR },
};
const qcHealth: ProgramDefinition = {
  id: 'qc-health-asylum',
  names: { en: 'Quebec health', fr: 'Santé Québec' },
  conditions: [
    { name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] },
    { name: 'asylum-claimant', kind: 'claimStatusIn', statuses: ['PENDING', 'APPEAL_PENDING'] },
    { name: 'valid-work-permit', kind: 'permitValidOn', date: 'today' },
    { name: 'intermediate-french', kind: 'frenchLevelAtLeast', level: 5 },
    { name: 'health-care-employer', kind: 'sectorIn', sectors: ['HEALTH_CARE'] },
  ],
  cap: 1500,
  capPeriod: { from: '2020-01-01', to: NEXT_YEAR },
};

const agreement = (id: string, provider: string, consumer: string, fields: Agreement['fields'], purposes: Agreement['purposes'] = ['PROGRAM_ELIGIBILITY']): Agreement => ({
  id,
  provider,
  consumer,
  purposes,
  fields,
  validFrom: '2020-01-01',
  validTo: NEXT_YEAR,
  legalBasis: 'test',
});

const ELIGIBILITY = `query($p: String!, $s: String!) { eligibility(program: $p, pseudonym: $s) { program outcome conditions { name field result unknownReason } } }`;
const APPLY = `mutation($p: String!, $s: String!) { applyToProgram(program: $p, pseudonym: $s) { counted remaining outcome } }`;
const UPTAKE = `query($p: String!) { programUptake(program: $p) { cap counted remaining byProvince { province count suppressed } } }`;

type Gql<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

describe('programs through the gateway', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gateway: TestGateway;
  let keyring: PseudonymKeyring;
  let consents: ConsentAuditConnection;
  const entryOf = async (res: GatewayResponse): Promise<LedgerEntryJson> => {
    // the outcome entry, not the intent written before a mutation runs (docs/ledger.md "Mutations")
    const entry = (await stack.ledgerEntries()).filter((e) => e.jti === res.jti && e.reason !== 'intent').pop();
    if (!entry) throw new Error(`no ledger entry for this exchange (HTTP ${res.status})`);
    return entry;
  };
  const grant = (clientId: string, recipient: string) =>
    consents.record({
      subject: toInternalId(keyring, clientId),
      purpose: 'PROGRAM_ELIGIBILITY',
      recipient,
      collectedBy: 'qc.msss',
      validFrom: new Date(Date.now() - 3600_000).toISOString(),
      expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
      evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
    });
  const pseudonymFor = (agency: string, clientId: string) => toAgencyPseudonym(keyring, agency, toInternalId(keyring, clientId));

  beforeAll(async () => {
    db = await createTestDatabase('programs');
    registry = await createTestRegistry({
      agreements: [
        // ca.ircc sees everything msss holds for eligibility; qc.mifi does not see French level.
        agreement('dsa-msss-ircc', 'qc.msss', 'ca.ircc', ['province', 'sector', 'claimStatus', 'workPermitExpiry', 'frenchLevel']),
        agreement('dsa-msss-mifi', 'qc.msss', 'qc.mifi', ['province', 'sector', 'claimStatus', 'workPermitExpiry']),
        agreement('dsa-msss-provision', 'qc.msss', 'ca.ircc', ['province'], ['PROVISION']),
      ],
      programs: [raceProgram, qcHealth] as unknown as RegistryDocument['programs'],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY'],
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    gateway = stack.gateway;
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    consents = connectConsentAudit(stack.consentAudit.url);

    const records = [
      ...Array.from({ length: 20 }, (_, i) => ({ clientId: `RACE-${i}`, province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'PENDING' })),
      { clientId: 'AIDE-1', province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'APPEAL_PENDING', workPermitExpiry: NEXT_YEAR, frenchLevel: 6 },
      { clientId: 'COOK-ON', province: 'ON', sector: 'FOOD_SERVICES', claimStatus: 'PENDING' },
      { clientId: 'NOCONSENT-1', province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'PENDING', workPermitExpiry: NEXT_YEAR, frenchLevel: 8 },
    ];
    const res = await registry.client('qc.msss', gateway.url).graphql<Gql<{ submitClaimants: { accepted: unknown[]; rejected: unknown[] } }>>(
      `mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { index } rejected { index reason } } }`,
      { r: records },
      'PROVISION',
    );
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.submitClaimants.rejected).toEqual([]);
    // Every claimant but NOCONSENT-1 consented to both agencies for PROGRAM_ELIGIBILITY.
    for (const r of records) if (r.clientId !== 'NOCONSENT-1') for (const agency of ['ca.ircc', 'qc.mifi']) await grant(r.clientId, agency);
  });

  afterAll(async () => {
    consents?.close();
    await stack?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  it('is ELIGIBLE for a caller who sees every field, UNDETERMINED for one from whom French is withheld', async () => {
    const ircc = await registry.client('ca.ircc', gateway.url).graphql<Gql<{ eligibility: { outcome: string; conditions: Array<{ name: string; result: string; unknownReason: string | null }> } }>>(
      ELIGIBILITY,
      { p: 'qc-health-asylum', s: pseudonymFor('ca.ircc', 'AIDE-1') },
      'PROGRAM_ELIGIBILITY',
    );
    expect(ircc.json.errors).toBeUndefined();
    expect(ircc.json.data!.eligibility.outcome).toBe('ELIGIBLE');

    const mifi = await registry.client('qc.mifi', gateway.url).graphql<Gql<{ eligibility: { outcome: string; conditions: Array<{ name: string; result: string; unknownReason: string | null }> } }>>(
      ELIGIBILITY,
      { p: 'qc-health-asylum', s: pseudonymFor('qc.mifi', 'AIDE-1') },
      'PROGRAM_ELIGIBILITY',
    );
    expect(mifi.json.data!.eligibility.outcome).toBe('UNDETERMINED');
    expect(mifi.json.data!.eligibility.conditions.find((c) => c.name === 'intermediate-french')).toEqual({ name: 'intermediate-french', field: 'frenchLevel', result: 'UNKNOWN', unknownReason: 'withheld' });

    // The ledger entry names the subject (internal id) and exactly the fields used; no raw id.
    const entry = await entryOf(mifi);
    expect(entry).toMatchObject({ decision: 'PERMIT', subjects: [toInternalId(keyring, 'AIDE-1')] });
    expect([...entry.fields].sort()).toEqual(['claimStatus', 'province', 'sector', 'workPermitExpiry']);
    expect(JSON.stringify(await stack.ledgerEntries())).not.toContain('AIDE-1');
  });

  it('consent gates eligibility: without the claimant consent nothing is evaluated, and the refusal is audited', async () => {
    const ircc = registry.client('ca.ircc', gateway.url);
    const res = await ircc.graphql<Gql<unknown>>(ELIGIBILITY, { p: 'qc-health-asylum', s: pseudonymFor('ca.ircc', 'NOCONSENT-1') }, 'PROGRAM_ELIGIBILITY');
    expect(res.json.data ?? null).toBeNull();
    expect(res.json.errors![0]).toMatchObject({ extensions: { code: 'CONSENT_REQUIRED' } });
    expect(res.body).not.toMatch(/"frenchLevel":8|ELIGIBLE/);
    expect(await entryOf(res)).toMatchObject({ decision: 'DENY', reason: 'CONSENT_REQUIRED', subjects: [toInternalId(keyring, 'NOCONSENT-1')] });
    const apply = await ircc.graphql<Gql<unknown>>(APPLY, { p: 'race-test-program', s: pseudonymFor('ca.ircc', 'NOCONSENT-1') }, 'PROGRAM_ELIGIBILITY');
    expect(apply.json.errors![0].extensions).toMatchObject({ code: 'CONSENT_REQUIRED' });
    expect((await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_applications WHERE subject = $1`, [toInternalId(keyring, 'NOCONSENT-1')]))[0].n).toBe(0);
  });

  it('refuses unknown programs and foreign pseudonyms with specific errors', async () => {
    const client = registry.client('ca.ircc', gateway.url);
    const unknown = await client.graphql<Gql<unknown>>(ELIGIBILITY, { p: 'no-such-program', s: pseudonymFor('ca.ircc', 'AIDE-1') }, 'PROGRAM_ELIGIBILITY');
    expect(unknown.json.errors![0]).toMatchObject({ message: "no program 'no-such-program' in the registry", extensions: { code: 'NOT_FOUND' } });
    const foreign = await client.graphql<Gql<unknown>>(ELIGIBILITY, { p: 'qc-health-asylum', s: pseudonymFor('qc.mifi', 'AIDE-1') }, 'PROGRAM_ELIGIBILITY');
    expect(foreign.json.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const wrongPurpose = await client.graphql<Gql<unknown>>(ELIGIBILITY, { p: 'qc-health-asylum', s: pseudonymFor('ca.ircc', 'AIDE-1') }, 'JOB_MATCHING');
    expect(wrongPurpose.json.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const notEligible = await client.graphql<Gql<unknown>>(APPLY, { p: 'race-test-program', s: pseudonymFor('ca.ircc', 'COOK-ON') }, 'PROGRAM_ELIGIBILITY');
    expect(notEligible.json.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'NOT_ELIGIBLE' } });
    expect(notEligible.json.errors![0].message).toContain('in-quebec');
  });

  it('gives the last place to exactly one of many agencies racing for it, and counts a claimant once', async () => {
    const ircc = registry.client('ca.ircc', gateway.url);
    const mifi = registry.client('qc.mifi', gateway.url);
    // Fill the cap but one place.
    for (let i = 0; i < CAP - 1; i++) {
      const r = await ircc.graphql<Gql<{ applyToProgram: { counted: number } }>>(APPLY, { p: 'race-test-program', s: pseudonymFor('ca.ircc', `RACE-${i}`) }, 'PROGRAM_ELIGIBILITY');
      expect(r.json.errors).toBeUndefined();
      expect(r.json.data!.applyToProgram.counted).toBe(i + 1);
    }
    // A claimant already counted is refused, by any agency.
    const again = await mifi.graphql<Gql<unknown>>(APPLY, { p: 'race-test-program', s: pseudonymFor('qc.mifi', 'RACE-0') }, 'PROGRAM_ELIGIBILITY');
    expect(again.json.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_APPLIED' });

    // 14 claimants, two agencies, all at once, for 1 place.
    const racers = Array.from({ length: 14 }, (_, k) => CAP - 1 + k);
    const results = await Promise.all(
      racers.map((i) => {
        const [client, agency] = i % 2 === 0 ? [ircc, 'ca.ircc'] : [mifi, 'qc.mifi'];
        return client.graphql<Gql<{ applyToProgram: { counted: number; remaining: number } }>>(APPLY, { p: 'race-test-program', s: pseudonymFor(agency, `RACE-${i}`) }, 'PROGRAM_ELIGIBILITY');
      }),
    );
    const winners = results.filter((r) => r.json.data?.applyToProgram);
    const losers = results.filter((r) => r.json.errors);
    expect(winners).toHaveLength(1);
    expect(winners[0].json.data!.applyToProgram).toEqual({ counted: CAP, remaining: 0, outcome: 'ELIGIBLE' });
    expect(losers).toHaveLength(racers.length - 1);
    for (const l of losers) {
      expect(l.json.errors![0]).toMatchObject({ message: `program 'race-test-program' has reached its cap of ${CAP} places`, extensions: { code: 'CONFLICT', reason: 'CAP_REACHED' } });
    }

    const rows = await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_applications WHERE program = 'race-test-program'`);
    expect(rows[0].n).toBe(CAP);

    // Every refusal is in the ledger as a DENY naming the claimant it was about.
    for (const l of losers) {
      const entry = await entryOf(l);
      expect(entry).toMatchObject({ decision: 'DENY', reason: 'CONFLICT', operation: expect.stringContaining('applyToProgram') });
      expect(entry.subjects).toHaveLength(1);
    }

    const uptake = await ircc.graphql<Gql<{ programUptake: { cap: number; counted: number; remaining: number; byProvince: unknown[] } }>>(UPTAKE, { p: 'race-test-program' }, 'PROGRAM_ELIGIBILITY');
    expect(uptake.json.data!.programUptake).toEqual({ cap: CAP, counted: CAP, remaining: 0, byProvince: [{ province: 'QC', count: null, suppressed: true }] });
  });
});
