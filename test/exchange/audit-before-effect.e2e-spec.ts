import { randomBytes, createHash } from 'node:crypto';
import { Client } from 'pg';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { LedgerEntryJson } from '@passerelle/contracts';
import type { Agreement, RegistryDocument } from '@passerelle/registry';
import {
  createTestDatabase,
  createTestRegistry,
  eventually,
  queryAsOwner,
  startTrustStack,
  uniqueName,
  startTestGateway,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
  type TrustStack,
} from '@passerelle/testing';

/**
 * Write-ahead audit (issue 14, hole 5; docs/ledger.md "Mutations"), against the real gateway,
 * the real consent-audit and PostgreSQL: no mutation takes effect without its ledger entry, no
 * entry claims an effect that did not happen, and each root mutation field's outcome is recorded.
 * "Ledger down" is real: an owner session holds ACCESS EXCLUSIVE on ledger_entries, so consent-audit
 * answers Decide but its appends wait until the gateway gives up.
 */
const agreement = (id: string, provider: string, consumer: string, purposes: Agreement['purposes'], fields: Agreement['fields']): Agreement => ({
  id, provider, consumer, purposes, fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
const PROGRAM = {
  id: 'audit-test-program',
  names: { en: 'Audit test', fr: 'Essai audit' },
  conditions: [{ name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] }],
  cap: 1000,
  capPeriod: { from: '2020-01-01', to: '2099-12-31' },
};

const SUBMIT = 'mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { index pseudonym } rejected { index reason } } }';
const RECORD = 'mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }';
const REVOKE = 'mutation($id: String!) { revokeConsent(consentId: $id) { id revokedAt } }';
const APPLY = 'mutation($p: String!, $s: String!) { applyToProgram(program: $p, pseudonym: $s) { outcome } }';
const REFER = 'mutation($p: String!, $to: String!, $m: ID!) { referRelocation(pseudonym: $p, toAgency: $to, jobMatchId: $m) { id } }';

/** Each mutation's effect, counted where it lands. */
const EFFECTS: Record<string, string> = {
  submitClaimants: 'SELECT count(*)::int AS n FROM claimant_records',
  recordConsent: 'SELECT count(*)::int AS n FROM consents',
  revokeConsent: "SELECT count(*)::int AS n FROM consent_events WHERE event = 'revoked'",
  applyToProgram: 'SELECT count(*)::int AS n FROM program_stream_applications',
  referRelocation: 'SELECT count(*)::int AS n FROM relocation_referrals',
};

type Gql<T> = { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

describe('every exchange is audited under its true name before it takes effect', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  /** the gateway under test: the stack's, then a fresh one after a kill -9 */
  let gateway: TestGateway;
  let keyring: PseudonymKeyring;
  let subject: string;
  let matchId: string;

  const gql = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose: Parameters<ReturnType<TestRegistry['client']>['graphql']>[2]) =>
    registry.client(agency, gateway.url).graphql<Gql<T>>(query, variables, purpose);
  const effects = async () => {
    const out: Record<string, number> = {};
    for (const [name, sql] of Object.entries(EFFECTS)) out[name] = (await queryAsOwner<{ n: number }>(db.url, sql))[0].n;
    return out;
  };
  const entriesOf = async (requestId: string) => (await stack.ledgerEntries()).filter((e) => e.request_id === requestId);
  const consentInput = (overrides: Record<string, string> = {}) => ({
    pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', toInternalId(keyring, uniqueName('CLIENT'))),
    purpose: 'RELOCATION',
    recipient: 'on.mltsd',
    validFrom: new Date(Date.now() - 3600_000).toISOString(),
    expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
    ...overrides,
  });

  /** Every mutation of the contract, each with fresh arguments that would succeed. */
  const mutations = (): Array<{ name: string; agency: string; purpose: Parameters<ReturnType<TestRegistry['client']>['graphql']>[2]; query: string; variables: () => Promise<Record<string, unknown>> }> => [
    { name: 'submitClaimants', agency: 'qc.msss', purpose: 'PROVISION', query: SUBMIT, variables: async () => ({ r: [{ clientId: uniqueName('UCI'), province: 'QC' }] }) },
    { name: 'recordConsent', agency: 'qc.mifi', purpose: 'CONSENT_MANAGEMENT', query: RECORD, variables: async () => ({ input: consentInput() }) },
    {
      name: 'revokeConsent',
      agency: 'qc.mifi',
      purpose: 'CONSENT_MANAGEMENT',
      query: REVOKE,
      variables: async () => {
        const granted = await gql<{ recordConsent: { id: string } }>('qc.mifi', RECORD, { input: consentInput() }, 'CONSENT_MANAGEMENT');
        return { id: granted.json.data!.recordConsent.id };
      },
    },
    {
      name: 'applyToProgram',
      agency: 'ca.ircc',
      purpose: 'PROGRAM_ELIGIBILITY',
      query: APPLY,
      variables: async () => {
        const clientId = uniqueName('UCI');
        await gql('qc.msss', SUBMIT, { r: [{ clientId, province: 'QC' }] }, 'PROVISION');
        return { p: PROGRAM.id, s: toAgencyPseudonym(keyring, 'ca.ircc', toInternalId(keyring, clientId)) };
      },
    },
    { name: 'referRelocation', agency: 'qc.mifi', purpose: 'RELOCATION', query: REFER, variables: async () => ({ p: toAgencyPseudonym(keyring, 'qc.mifi', subject), to: 'on.mltsd', m: matchId }) },
  ];

  /** Holds ACCESS EXCLUSIVE on ledger_entries from an owner session until release(): appends wait, Decide works. */
  async function ledgerDown() {
    const owner = new Client({ connectionString: db.url });
    await owner.connect();
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE');
    return {
      release: async () => {
        await owner.query('ROLLBACK');
        await owner.end();
      },
    };
  }
  const appendsWaiting = async () =>
    (await queryAsOwner<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND (query ILIKE '%INSERT INTO ledger_entries%' OR query ILIKE '%ledger_sequence_entries(%')"))[0].n;
  /** The write-ahead invariant over the whole ledger: every permitted mutation outcome has its request's intent before it. */
  function expectEveryEffectAfterItsIntent(entries: LedgerEntryJson[]) {
    const outcomes = entries.filter((e) => /^graphql:(submitClaimants|recordConsent|revokeConsent|applyToProgram|referRelocation)(#[0-9]+)?$/.test(e.operation) && e.reason !== 'intent' && e.decision === 'PERMIT');
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      const intent = entries.find((e) => e.request_id === outcome.request_id && e.reason === 'intent');
      expect({ seq: outcome.seq, intentBefore: intent !== undefined && intent.seq < outcome.seq }).toEqual({ seq: outcome.seq, intentBefore: true });
    }
  }

  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => eventually(check, timeoutMs, () => what);

  beforeAll(async () => {
    db = await createTestDatabase('abe');
    registry = await createTestRegistry({
      agencies: [
        { id: 'qc.msss', roles: ['PROVIDER'], jurisdiction: 'QC' },
        { id: 'ca.ircc', roles: ['PROVIDER', 'CONSUMER'] },
        { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
        { id: 'on.mltsd', roles: ['CONSUMER'], jurisdiction: 'ON' },
        { id: 'ca.esdc', roles: ['PROVIDER', 'CONSUMER', 'PUBLISHER'] },
      ],
      agreements: [
        agreement('dsa-msss-ircc-programs', 'qc.msss', 'ca.ircc', ['PROGRAM_ELIGIBILITY'], ['province']),
        agreement('dsa-msss-ircc-provision', 'qc.msss', 'ca.ircc', ['PROVISION'], ['province']),
        agreement('dsa-esdc-mifi-matches', 'ca.esdc', 'qc.mifi', ['JOB_MATCHING'], ['province', 'nocCode']),
        agreement('dsa-mifi-mltsd-reloc', 'qc.mifi', 'on.mltsd', ['RELOCATION'], ['province']),
      ],
      programs: [PROGRAM] as unknown as RegistryDocument['programs'],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    gateway = stack.gateway;
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    subject = toInternalId(keyring, uniqueName('CLIENT'));
    matchId = (
      await queryAsOwner<{ id: string }>(
        db.url,
        `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
         VALUES ('ca.esdc', 'e1', 'b1', $1, 'e1', 'Patient care aide', '33102', 'ON', 'Somewhere', 2500, 'EN_OR_FR', 0.9, now()) RETURNING id`,
        [subject],
      )
    )[0].id;
    const relocation = await gql<{ recordConsent: { id: string } }>('qc.mifi', RECORD, { input: consentInput({ pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject) }) }, 'CONSENT_MANAGEMENT');
    expect(relocation.json.errors).toBeUndefined();
  }, 90_000);

  afterAll(async () => {
    if (gateway && gateway !== stack?.gateway) await gateway.stop();
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('a mutation that succeeds leaves an intent entry before it and its outcome entry, which the answer names', async () => {
    for (const m of mutations()) {
      const res = await gql<Record<string, unknown>>(m.agency, m.query, await m.variables(), m.purpose);
      expect({ mutation: m.name, errors: res.json.errors }).toEqual({ mutation: m.name, errors: undefined });
      const outcome = (await stack.ledgerEntries())[res.auditSeq!];
      const entries = await entriesOf(outcome.request_id);
      expect(entries.map((e) => [e.operation, e.decision, e.reason])).toEqual([
        [`graphql:${m.name}`, 'PERMIT', 'intent'],
        [`graphql:${m.name}`, 'PERMIT', 'ok'],
      ]);
      expect(entries[0]).toMatchObject({ agency: m.agency, response_sha256: '', subjects: [] });
      expect(entries[1].seq).toBe(res.auditSeq);
    }
  }, 120_000);

  it('ledger down: no mutation takes effect, each is refused 503 audit_unavailable', async () => {
    const prepared = await Promise.all(mutations().map(async (m) => ({ ...m, vars: await m.variables() })));
    const before = await effects();
    const down = await ledgerDown();
    let results: Array<{ name: string; status: number; code?: string }>;
    try {
      results = await Promise.all(
        prepared.map(async (m) => {
          const res = await gql<unknown>(m.agency, m.query, m.vars, m.purpose);
          return { name: m.name, status: res.status, code: (JSON.parse(res.body) as { error?: { code: string } }).error?.code };
        }),
      );
    } finally {
      await down.release();
    }
    expect(results).toEqual(prepared.map((m) => ({ name: m.name, status: 503, code: 'audit_unavailable' })));
    expect(await effects()).toEqual(before);
  }, 120_000);

  it('a document of two mutations whose second is refused records two outcomes with their own decisions', async () => {
    const input = consentInput();
    const res = await gql<{ a: { id: string } | null; b: { id: string } | null }>(
      'qc.mifi',
      'mutation($input: RecordConsentInput!, $id: String!) { a: recordConsent(input: $input) { id } b: revokeConsent(consentId: $id) { id revokedAt } }',
      { input, id: '00000000-0000-4000-8000-000000000000' },
      'CONSENT_MANAGEMENT',
    );
    // Both fields are non-null, so the refusal nulls the whole answer; the first one took effect all the same.
    expect(res.json.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const ledger = await stack.ledgerEntries();
    const entries = await entriesOf(ledger[res.auditSeq!].request_id);
    expect(entries.map((e) => [e.operation, e.decision, e.reason])).toEqual([
      ['graphql:recordConsent,revokeConsent', 'PERMIT', 'intent'],
      ['graphql:recordConsent#1', 'PERMIT', 'ok'],
      ['graphql:revokeConsent#2', 'DENY', 'NOT_FOUND'],
    ]);
    expect(entries[2].seq).toBe(res.auditSeq);
    expect(entries[1].subjects).toHaveLength(1);
    expect((await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM consents WHERE evidence_sha256 = $1', [input.evidenceSha256]))[0].n).toBe(1);
  });

  it('names a mutation hidden in a fragment behind __typename, and never quotes an alias', async () => {
    const granted = await gql<{ recordConsent: { id: string } }>('qc.mifi', RECORD, { input: consentInput() }, 'CONSENT_MANAGEMENT');
    const res = await gql<unknown>('qc.mifi', 'mutation($id: String!) { __typename ... on Mutation { UCI12345: revokeConsent(consentId: $id) { id } } }', { id: granted.json.data!.recordConsent.id }, 'CONSENT_MANAGEMENT');
    expect(res.json.errors).toBeUndefined();
    const entries = await entriesOf((await stack.ledgerEntries())[res.auditSeq!].request_id);
    expect(entries.map((e) => [e.operation, e.decision, e.reason])).toEqual([
      ['graphql:__typename,revokeConsent', 'PERMIT', 'intent'],
      ['graphql:revokeConsent#2', 'PERMIT', 'ok'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('UCI12345');
  });

  it('kill -9 of the gateway while a mutation waits on the ledger: no effect row without an intent entry before it', async () => {
    const m = mutations().find((x) => x.name === 'applyToProgram')!;
    const vars = await m.variables();
    const before = await effects();
    const down = await ledgerDown();
    try {
      const inFlight = gql<unknown>(m.agency, m.query, vars, m.purpose).catch(() => undefined);
      await until('the gateway to wait on a ledger append', async () => (await appendsWaiting()) > 0);
      await gateway.app.kill9();
      await inFlight;
    } finally {
      await down.release();
    }
    expect(await effects()).toEqual(before);
    expectEveryEffectAfterItsIntent(await stack.ledgerEntries());
  }, 60_000);

  it('kill -9 of the gateway while a mutation is running: its intent entry is already durable, and the unfinished effect is not there', async () => {
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: stack.consentAudit.url, secretsDir: stack.secretsDir });
    const m = mutations().find((x) => x.name === 'applyToProgram')!;
    const vars = await m.variables();
    const before = await effects();
    const seqBefore = (await stack.ledgerEntries()).length;
    // Hold the program's counter row: the resolver blocks inside its transaction, after the intent.
    const owner = new Client({ connectionString: db.url });
    await owner.connect();
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE program_streams IN ACCESS EXCLUSIVE MODE');
    try {
      const inFlight = gql<unknown>(m.agency, m.query, vars, m.purpose).catch(() => undefined);
      await until('the resolver to wait on the program counters', async () => (await queryAsOwner<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%program_streams%'"))[0].n > 0);
      const written = (await stack.ledgerEntries()).slice(seqBefore);
      expect(written.map((e) => [e.operation, e.decision, e.reason])).toEqual([['graphql:applyToProgram', 'PERMIT', 'intent']]);
      await gateway.app.kill9();
      await inFlight;
    } finally {
      await owner.query('ROLLBACK');
      await owner.end();
    }
    expect(await effects()).toEqual(before);
    expectEveryEffectAfterItsIntent(await stack.ledgerEntries());
  }, 60_000);
});
