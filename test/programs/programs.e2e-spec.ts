import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { LedgerEntryJson } from '@passerelle/contracts';
import type { GatewayResponse } from '@passerelle/client';
import { REFERENCE_PROGRAMS, type ProgramDefinition } from '@passerelle/policy';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Agreement, RegistryDocument } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, kafkaBrokers, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';
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

const WAIT_CAP = 2;
const waitlistProgram: ProgramDefinition = {
  id: 'waitlist-test-program',
  names: { en: 'Waitlist test', fr: "Essai de liste d'attente" },
  conditions: [{ name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] }],
  cap: WAIT_CAP,
  capPeriod: { from: '2020-01-01', to: NEXT_YEAR },
  waitlist: true,
};
const trToPr = REFERENCE_PROGRAMS.find((p) => p.id === 'tr-to-pr-2021')!;
const PROGRAMS_TOPIC = uniqueName('programs-events');

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
  let consumer: Consumer | undefined;
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
      programs: [raceProgram, qcHealth, waitlistProgram, trToPr] as unknown as RegistryDocument['programs'],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY'],
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { PASSERELLE_PROGRAMS_TOPIC: PROGRAMS_TOPIC } });
    gateway = stack.gateway;
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    consents = connectConsentAudit(stack.consentAudit.url);

    const records = [
      ...Array.from({ length: 20 }, (_, i) => ({ clientId: `RACE-${i}`, province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'PENDING' })),
      { clientId: 'AIDE-1', province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'APPEAL_PENDING', workPermitExpiry: NEXT_YEAR, frenchLevel: 6 },
      { clientId: 'COOK-ON', province: 'ON', sector: 'FOOD_SERVICES', claimStatus: 'PENDING' },
      ...Array.from({ length: WAIT_CAP + 20 }, (_, i) => ({ clientId: `WAIT-${i}`, province: 'QC', sector: 'HEALTH_CARE', claimStatus: 'PENDING' })),
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
    await consumer?.disconnect().catch(() => undefined);
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
    expect((await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_stream_applications WHERE subject = $1`, [toInternalId(keyring, 'NOCONSENT-1')]))[0].n).toBe(0);
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

    const rows = await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_stream_applications WHERE program = 'race-test-program'`);
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

  const WAPPLY = `mutation($p: String!, $s: String!, $st: String) { applyToProgram(program: $p, pseudonym: $s, stream: $st) { stream status reason period waitlistPosition counted remaining } }`;
  const WITHDRAW = `mutation($p: String!, $s: String!) { withdrawApplication(program: $p, pseudonym: $s) { stream withdrew admittedFromWaitlist } }`;
  type Applied = { applyToProgram: { stream: string; status: string; reason: string; period: string | null; waitlistPosition: number | null; counted: number; remaining: number | null } };

  it('a waitlist race of 20 concurrent applies for the last place: exactly one gets it, the others wait in order; a withdrawal admits the first in line, with an event on Kafka', async () => {
    const ircc = registry.client('ca.ircc', gateway.url);
    const mifi = registry.client('qc.mifi', gateway.url);
    const first = await ircc.graphql<Gql<Applied>>(WAPPLY, { p: waitlistProgram.id, s: pseudonymFor('ca.ircc', 'WAIT-0') }, 'PROGRAM_ELIGIBILITY');
    expect(first.json.data!.applyToProgram).toMatchObject({ stream: 'main', status: 'APPLIED', period: 'all', counted: 1, remaining: 1 });

    const racers = Array.from({ length: 20 }, (_, k) => k + 1);
    const results = await Promise.all(
      racers.map((i) => {
        const [client, agency] = i % 2 === 0 ? [ircc, 'ca.ircc'] : [mifi, 'qc.mifi'];
        return client.graphql<Gql<Applied>>(WAPPLY, { p: waitlistProgram.id, s: pseudonymFor(agency, `WAIT-${i}`) }, 'PROGRAM_ELIGIBILITY');
      }),
    );
    for (const r of results) expect(r.json.errors).toBeUndefined();
    const answers = results.map((r) => r.json.data!.applyToProgram);
    expect(answers.filter((a) => a.status === 'APPLIED')).toHaveLength(1);
    const waiting = answers.filter((a) => a.status === 'WAITLISTED');
    expect(waiting.map((a) => a.waitlistPosition).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(waiting[0].reason).toContain(`has reached its cap of ${WAIT_CAP} places; the claimant joins the waitlist`);

    // The admitted claimant's agency withdraws; the first in line is admitted in the same transaction.
    const winner = racers[answers.findIndex((a) => a.status === 'APPLIED')];
    const winnerAgency = winner % 2 === 0 ? 'ca.ircc' : 'qc.mifi';
    const other = winnerAgency === 'ca.ircc' ? mifi : ircc;
    // Another agency, with its own pseudonym of the same claimant or with the applying agency's, cannot withdraw it.
    const otherAgency = winnerAgency === 'ca.ircc' ? 'qc.mifi' : 'ca.ircc';
    for (const s of [pseudonymFor(otherAgency, `WAIT-${winner}`), pseudonymFor(winnerAgency, `WAIT-${winner}`)]) {
      const refused = await other.graphql<Gql<unknown>>(WITHDRAW, { p: waitlistProgram.id, s }, 'PROGRAM_ELIGIBILITY');
      expect(refused.json.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    }
    const wrongPurpose = await (winnerAgency === 'ca.ircc' ? ircc : mifi).graphql<Gql<unknown>>(WITHDRAW, { p: waitlistProgram.id, s: pseudonymFor(winnerAgency, `WAIT-${winner}`) }, 'JOB_MATCHING');
    expect(wrongPurpose.json.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });

    const firstInLine = racers[answers.findIndex((a) => a.waitlistPosition === 1)];
    const withdrawn = await (winnerAgency === 'ca.ircc' ? ircc : mifi).graphql<Gql<{ withdrawApplication: unknown }>>(
      WITHDRAW,
      { p: waitlistProgram.id, s: pseudonymFor(winnerAgency, `WAIT-${winner}`) },
      'PROGRAM_ELIGIBILITY',
    );
    expect(withdrawn.json.errors).toBeUndefined();
    expect(withdrawn.json.data!.withdrawApplication).toEqual({ stream: 'main', withdrew: 'ADMITTED', admittedFromWaitlist: 1 });
    const rows = await queryAsOwner<{ status: string }>(db.url, `SELECT status FROM program_stream_applications WHERE program = $1 AND subject = $2`, [waitlistProgram.id, toInternalId(keyring, `WAIT-${firstInLine}`)]);
    expect(rows).toEqual([{ status: 'ADMITTED' }]);
    // The withdrawal is in the ledger, naming the claimant it was about.
    expect(await entryOf(withdrawn)).toMatchObject({ decision: 'PERMIT', operation: expect.stringContaining('withdrawApplication'), subjects: [toInternalId(keyring, `WAIT-${winner}`)] });

    // The event reaches Kafka, naming the claimant by the applying agency's pseudonym only.
    const firstAgency = firstInLine % 2 === 0 ? 'ca.ircc' : 'qc.mifi';
    const seen: Array<Record<string, unknown>> = [];
    const kafka = new Kafka({ clientId: uniqueName('programs-e2e'), brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: uniqueName('programs-e2e') });
    await consumer.connect();
    const drained = Date.now() + 20_000;
    const pending = async () => (await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_outbox WHERE sent_at IS NULL`))[0].n;
    while ((await pending()) > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 200));
    expect(await pending()).toBe(0);
    await consumer.subscribe({ topic: PROGRAMS_TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString('utf8'))) });
    const promotedEvent = (e: Record<string, unknown>) => e.type === 'program.admitted_from_waitlist' && e.program === waitlistProgram.id;
    const deadline = Date.now() + 30_000;
    while (!seen.some(promotedEvent) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(seen.find(promotedEvent)).toMatchObject({ stream: 'main', period: 'all', agency: firstAgency, pseudonym: pseudonymFor(firstAgency, `WAIT-${firstInLine}`) });
    expect(seen.filter((e) => e.program === waitlistProgram.id).map((e) => e.type)).toEqual(expect.arrayContaining(['program.applied', 'program.waitlisted', 'program.withdrawn']));
    // (a pseudonym may contain "i_" by chance: look for the internal ids themselves)
    const internalIds = Array.from({ length: WAIT_CAP + 20 }, (_, i) => toInternalId(keyring, `WAIT-${i}`));
    for (const e of seen) {
      const text = JSON.stringify(e);
      expect(text).not.toMatch(/WAIT-/);
      for (const id of internalIds) expect(text).not.toContain(id);
    }

    // Uptake by month and province: the program's totals, small cells suppressed.
    const UPTAKE_BY = `query($p: String!) { programUptake(program: $p, groupBy: [month, province]) { stream applications admissions waitlistLength placesLeft cells { month province applications admissions suppressed } } }`;
    const uptake = await ircc.graphql<Gql<{ programUptake: { applications: number; admissions: number; waitlistLength: number; placesLeft: number; cells: Array<{ applications: number | null; admissions: number | null; suppressed: boolean }> } }>>(
      UPTAKE_BY,
      { p: waitlistProgram.id },
      'STATISTICS',
    );
    expect(uptake.json.errors).toBeUndefined();
    expect(uptake.json.data!.programUptake).toMatchObject({ stream: 'main', applications: 21, admissions: WAIT_CAP, waitlistLength: 18, placesLeft: 0 });
    for (const c of uptake.json.data!.programUptake.cells) {
      for (const n of [c.applications, c.admissions]) if (n !== null) expect(n === 0 || n >= 10).toBe(true);
    }
  });

  it('streams: a program with several streams needs one named, an unknown stream is refused, a closed stream reads nothing', async () => {
    const ircc = registry.client('ca.ircc', gateway.url);
    const s = pseudonymFor('ca.ircc', 'WAIT-21');
    const unnamed = await ircc.graphql<Gql<unknown>>(WAPPLY, { p: 'tr-to-pr-2021', s }, 'PROGRAM_ELIGIBILITY');
    expect(unnamed.json.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'STREAM_REQUIRED' } });
    expect(unnamed.json.errors![0].message).toContain('health-care, essential-non-health, international-graduates');
    const unknown = await ircc.graphql<Gql<unknown>>(WAPPLY, { p: 'tr-to-pr-2021', s, st: 'no-such-stream' }, 'PROGRAM_ELIGIBILITY');
    expect(unknown.json.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const closed = await ircc.graphql<Gql<unknown>>(WAPPLY, { p: 'tr-to-pr-2021', s, st: 'health-care' }, 'PROGRAM_ELIGIBILITY');
    expect(closed.json.errors![0]).toMatchObject({ message: "stream 'health-care' of program 'tr-to-pr-2021' takes applications from 2021-05-06 to 2021-11-05 only", extensions: { reason: 'PROGRAM_CLOSED' } });
    // Nothing of the claimant was read for a closed stream.
    expect((await entryOf(closed)).fields).toEqual([]);
  });

  it('an agency with no agreement cannot apply (NO_AGREEMENT, audited), nor withdraw what it never applied for', async () => {
    const mltsd = registry.client('on.mltsd', gateway.url);
    const s = pseudonymFor('on.mltsd', 'WAIT-21');
    const apply = await mltsd.graphql<Gql<unknown>>(WAPPLY, { p: waitlistProgram.id, s }, 'PROGRAM_ELIGIBILITY');
    expect(apply.json.errors![0].extensions).toMatchObject({ code: 'NO_AGREEMENT' });
    expect(await entryOf(apply)).toMatchObject({ decision: 'DENY' });
    const withdraw = await mltsd.graphql<Gql<unknown>>(WITHDRAW, { p: waitlistProgram.id, s: pseudonymFor('on.mltsd', 'WAIT-1') }, 'PROGRAM_ELIGIBILITY');
    expect(withdraw.json.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const rows = await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM program_stream_applications WHERE subject = $1`, [toInternalId(keyring, 'WAIT-21')]);
    expect(rows[0].n).toBe(0);
  });
});
