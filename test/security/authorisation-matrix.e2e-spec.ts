import { isNonNullType } from 'graphql';
import type { GatewayClient, GatewayResponse } from '@passerelle/client';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import { PURPOSES, type Agreement, type Purpose, type RegistryDocument, type Role } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import type { LedgerEntryJson } from '@passerelle/contracts';
import { documentOf, literalOf, loadSchema, operationsOf, VALID_LEAF } from './operations';
import { expectedOutcome, POLICY_TABLE, type Caller, type Outcome } from './policy-table';

const CONCURRENCY = 8;
const NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-12-31`;
const SOURCE = 'qc.matrix-source';
const CLIENT_ID = 'MATRIX-CLAIMANT-1';
const PROGRAM = 'matrix-program';
const DATA_PURPOSES: Purpose[] = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY', 'STATISTICS'];

/**
 * The callers: one agency per role holding only that role, and a consumer with and one without
 * agreements. None collected a consent from the matrix claimant (collectors' own rights are proven
 * in test/consents, where the registry declares them).
 */
const CALLERS: Array<{ id: string; role: Role; jurisdiction?: string } & Caller> = [
  { id: 'qc.matrix-provider', role: 'PROVIDER', roles: ['PROVIDER'], agreementPurposes: [], collector: false },
  { id: 'qc.matrix-consumer', role: 'CONSUMER', roles: ['CONSUMER'], agreementPurposes: DATA_PURPOSES, collector: false },
  { id: 'qc.matrix-consumer-bare', role: 'CONSUMER', roles: ['CONSUMER'], agreementPurposes: [], collector: false },
  { id: 'ca.matrix-publisher', role: 'PUBLISHER', roles: ['PUBLISHER'], agreementPurposes: [], collector: false },
  { id: 'ca.matrix-operator', role: 'OPERATOR', roles: ['OPERATOR'], agreementPurposes: [], collector: false },
  { id: 'nb.matrix-receiver', role: 'RECEIVER', roles: ['RECEIVER'], jurisdiction: 'NB', agreementPurposes: [], collector: false },
];

const agreementTo = (consumer: string): Agreement => ({
  id: `dsa-matrix-${consumer.replace(/\./g, '-')}`,
  provider: SOURCE,
  consumer,
  purposes: DATA_PURPOSES,
  fields: ['claimStatus', 'claimDate', 'province', 'workPermitExpiry', 'nocCode', 'sector', 'healthCareHours', 'frenchLevel'],
  validFrom: '2020-01-01',
  validTo: NEXT_YEAR,
  legalBasis: 'authorisation matrix',
});

/**
 * A probe: the request one cell sends. Arguments name a real claimant (by the caller's own
 * pseudonym) and a real program, so the agreement half of the gate is reached; mutations that
 * would change state for good (consents) get arguments refused after the gate.
 */
type Probe = { graphql: string } | { rest: string };
const PROBES: Record<string, (caller: string, pseudonym: string) => Probe> = {
  'mutation:submitClaimants': () => ({ graphql: 'mutation { submitClaimants(records: [{clientId: "MATRIX-PROBE-1", province: "QC"}]) { accepted { index } } }' }),
  'query:claimant': (_, p) => ({ graphql: `{ claimant(pseudonym: "${p}") { pseudonym } }` }),
  'query:claimants': () => ({ graphql: '{ claimants(first: 1) { nodes { pseudonym } } }' }),
  'mutation:recordConsent': (_, p) => ({
    graphql: `mutation { recordConsent(input: {pseudonym: "${p}", purpose: "JOB_MATCHING", recipient: "qc.matrix-consumer", validFrom: "2020-01-01T00:00:00Z", expiresAt: "${NEXT_YEAR}T00:00:00Z", evidenceSha256: "not-a-digest"}) { id } }`,
  }),
  'mutation:revokeConsent': () => ({ graphql: 'mutation { revokeConsent(consentId: "no-such-consent") { id } }' }),
  'query:consents': (_, p) => ({ graphql: `{ consents(pseudonym: "${p}") { id } }` }),
  'query:disclosures': (_, p) => ({ graphql: `{ disclosures(pseudonym: "${p}", first: 1) { hasMore } }` }),
  'query:jobMatches': () => ({ graphql: '{ jobMatches(first: 1) { nodes { id } } }' }),
  'mutation:referRelocation': (caller, p) => ({
    graphql: `mutation { referRelocation(pseudonym: "${p}", toAgency: "${caller === 'qc.matrix-consumer' ? 'qc.matrix-consumer-bare' : 'qc.matrix-consumer'}", jobMatchId: "no-such-match") { id } }`,
  }),
  'query:referrals': () => ({ graphql: '{ referrals(first: 1) { nodes { id } } }' }),
  'query:eligibility': (_, p) => ({ graphql: `{ eligibility(program: "${PROGRAM}", pseudonym: "${p}") { outcome } }` }),
  'mutation:applyToProgram': (_, p) => ({ graphql: `mutation { applyToProgram(program: "${PROGRAM}", pseudonym: "${p}") { counted } }` }),
  'mutation:withdrawApplication': (_, p) => ({ graphql: `mutation { withdrawApplication(program: "${PROGRAM}", pseudonym: "${p}") { withdrew } }` }),
  'query:programUptake': () => ({ graphql: `{ programUptake(program: "${PROGRAM}") { counted } }` }),
  'query:statistics': () => ({ graphql: '{ statistics(groupBy: province) { total } }' }),
  'query:eligibleNotApplied': () => ({ graphql: `{ eligibleNotApplied(program: "${PROGRAM}", groupBy: [province]) { withheld } }` }),
  'query:simulateRule': () => ({ graphql: `{ simulateRule(program: "${PROGRAM}", change: {remove: ["in-quebec"], set: "[{\\"name\\":\\"anywhere\\",\\"kind\\":\\"provinceIn\\",\\"provinces\\":[\\"QC\\",\\"ON\\"]}]"}) { withheld } }` }),
  'query:auditEntries': () => ({ graphql: '{ auditEntries(first: 1) { hasMore } }' }),
  'query:auditEntry': () => ({ graphql: '{ auditEntry(seq: 0) { seq } }' }),
  'query:signedTreeHead': () => ({ graphql: '{ signedTreeHead { treeSize } }' }),
  'query:gatewayInfo': () => ({ graphql: '{ gatewayInfo { contractVersion } }' }),
  'rest:GET /audit/sth': () => ({ rest: '/audit/sth' }),
  'rest:GET /audit/entries': () => ({ rest: '/audit/entries?start=0&end=0' }),
  'rest:GET /audit/proof/inclusion': () => ({ rest: '/audit/proof/inclusion?seq=0&tree_size=1' }),
  'rest:GET /audit/proof/consistency': () => ({ rest: '/audit/proof/consistency?first=1&second=1' }),
};

interface Answer {
  status: number;
  body: string;
  seq?: number;
  /** FORBIDDEN / NO_AGREEMENT when the gate refused, else undefined */
  refusal?: string;
}

async function send(client: GatewayClient, probe: Probe, purpose: Purpose): Promise<Answer> {
  if ('rest' in probe) {
    const res: GatewayResponse<{ error?: { code?: string } }> = await client.get(probe.rest, purpose);
    return { status: res.status, body: res.body, seq: res.auditSeq, refusal: res.status === 403 && res.json?.error?.code === 'forbidden' ? 'FORBIDDEN' : undefined };
  }
  const res = await client.graphql<{ errors?: Array<{ extensions?: { code?: string } }> }>(probe.graphql, undefined, purpose);
  const codes = (res.json?.errors ?? []).map((e) => e.extensions?.code);
  return { status: res.status, body: res.body, seq: res.auditSeq, refusal: codes.find((c) => c === 'FORBIDDEN' || c === 'NO_AGREEMENT') };
}

const show = (o: Outcome) => (o.allowed ? 'allowed' : o.code);

/**
 * The authorisation matrix: every row of the declared policy table (policy-table.ts) × every
 * caller (one per role, a consumer with and one without agreements) × every purpose, sent as a
 * validly signed request to the real gateway and consent-audit. The answer and the ledger row
 * written for it must match the table: refused with the declared code and a DENY entry naming it,
 * or let through the gate.
 */
describe('authorisation matrix (declared policy × roles × purposes × agreements)', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  const schema = loadSchema();
  const operations = operationsOf(schema);

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('authmatrix'),
      createTestRegistry({
        agencies: [{ id: SOURCE, roles: ['PROVIDER', 'PUBLISHER'] }, ...CALLERS.map((c) => ({ id: c.id, roles: [...c.roles], jurisdiction: c.jurisdiction }))],
        agreements: [agreementTo('qc.matrix-consumer')],
        programs: [{ id: PROGRAM, names: { en: 'Matrix', fr: 'Matrice' }, conditions: [{ name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] }], cap: null, capPeriod: null }] as unknown as RegistryDocument['programs'],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    // One claimant held by the source, so the probes that name a claimant reach the agreement check.
    const submitted = await registry.client(SOURCE, stack.gateway.url).graphql<{ data?: { submitClaimants: { accepted: unknown[] } } }>(
      `mutation { submitClaimants(records: [{clientId: "${CLIENT_ID}", province: "QC", claimStatus: "PENDING", nocCode: "33102"}]) { accepted { index } } }`,
      undefined,
      'PROVISION',
    );
    expect(submitted.json?.data?.submitClaimants.accepted).toHaveLength(1);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('declares a policy row for every GraphQL root field of the committed schema, and no row for a field that does not exist', () => {
    const fields = operations.map((o) => `${o.kind}:${o.name}`);
    expect(fields.length).toBeGreaterThanOrEqual(15);
    expect(fields.filter((f) => !POLICY_TABLE[f])).toEqual([]);
    const graphqlRows = Object.keys(POLICY_TABLE).filter((k) => !k.startsWith('rest:'));
    expect(graphqlRows.filter((k) => !fields.includes(k))).toEqual([]);
  });

  it('enforces the declared policy: every cell is refused with the declared code and a DENY ledger row, or let through, as the table says', async () => {
    const subject = toInternalId(keyring, CLIENT_ID);
    const byKey = new Map(operations.map((o) => [`${o.kind}:${o.name}`, o]));
    const probeOf = (key: string, caller: string): Probe => {
      const probe = PROBES[key];
      if (probe) return probe(caller, toAgencyPseudonym(keyring, caller, subject));
      // A row without a hand-written probe: its required arguments, each a placeholder.
      const op = byKey.get(key)!;
      return { graphql: documentOf(op, (a) => (isNonNullType(a.type) ? literalOf(a.type, VALID_LEAF) : undefined)) };
    };
    const cells = Object.keys(POLICY_TABLE).flatMap((key) => CALLERS.flatMap((caller) => PURPOSES.map((purpose) => ({ key, caller, purpose }))));
    const answers: Array<{ key: string; caller: (typeof CALLERS)[number]; purpose: Purpose; expected: Outcome; answer: Answer }> = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cells.length; i = next++) {
        const { key, caller, purpose } = cells[i];
        const answer = await send(registry.client(caller.id, stack.gateway.url), probeOf(key, caller.id), purpose);
        answers.push({ key, caller, purpose, expected: expectedOutcome(POLICY_TABLE[key], caller, purpose), answer });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Every answer was signed with the seq of its ledger row: compare with the rows as stored.
    const ledger = new Map<number, LedgerEntryJson>((await stack.ledgerEntries()).map((e) => [e.seq, e]));
    const wrong: string[] = [];
    for (const { key, caller, purpose, expected, answer } of answers) {
      const where = `${key} as ${caller.id} (${caller.role}${caller.agreementPurposes.length ? ', with agreements' : ''}) for ${purpose}`;
      const got = answer.refusal ?? 'allowed';
      if (answer.status >= 500 || answer.seq === undefined) {
        wrong.push(`${where}: HTTP ${answer.status} unsigned ${answer.body.slice(0, 160)}`);
        continue;
      }
      if (got !== show(expected)) wrong.push(`${where}: ${got}, declared ${show(expected)} (${answer.body.slice(0, 160)})`);
      const entry = ledger.get(answer.seq);
      if (!entry || entry.agency !== caller.id || entry.purpose !== purpose) wrong.push(`${where}: ledger row ${answer.seq} is ${JSON.stringify(entry)}`);
      else if (!expected.allowed && (entry.decision !== 'DENY' || entry.reason !== expected.code)) wrong.push(`${where}: ledger row ${entry.seq} records ${entry.decision} ${entry.reason}`);
      else if (expected.allowed && (entry.reason === 'FORBIDDEN' || entry.reason === 'NO_AGREEMENT')) wrong.push(`${where}: ledger row ${entry.seq} records ${entry.reason}`);
      else if (key.startsWith('query:') || key.startsWith('mutation:')) {
        if (!entry.operation.includes(key.split(':')[1])) wrong.push(`${where}: ledger row ${entry.seq} names ${entry.operation}`);
      }
    }
    expect(wrong).toEqual([]);
    // every kind of cell is exercised
    const tally = (o: string) => answers.filter((a) => show(a.expected) === o).length;
    expect(tally('allowed')).toBeGreaterThan(40);
    expect(tally('NO_AGREEMENT')).toBeGreaterThan(5);
    expect(tally('FORBIDDEN')).toBeGreaterThan(500);
  }, 180_000);
});
