import { isNonNullType } from 'graphql';
import { PURPOSES, ROLES, type Purpose, type Role } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, startFakeLedger, startTestGateway, type FakeLedger, type TestDatabase, type TestGateway, type TestRegistry } from '@passerelle/testing';
import { accessRulesFromCode, documentOf, literalOf, loadSchema, operationsOf, VALID_LEAF, type AccessRule, type Operation } from './operations';

const CONCURRENCY = 12;

/** One test agency per role, holding exactly that role. */
const AGENCY_OF: Record<Role, string> = {
  PROVIDER: 'qc.matrix-provider',
  CONSUMER: 'qc.matrix-consumer',
  PUBLISHER: 'ca.matrix-publisher',
  OPERATOR: 'ca.matrix-operator',
};

/** Deny by default: allowed only when the code declares @Public, or @Requires with this role and purpose. */
function expectedAllowed(rule: AccessRule | undefined, role: Role, purpose: Purpose): boolean {
  if (!rule) return false;
  if (rule.public) return true;
  if (!rule.requirement) return false;
  const roles = Array.isArray(rule.requirement.role) ? rule.requirement.role : [rule.requirement.role];
  return roles.includes(role) && rule.requirement.purposes.includes(purpose);
}

/**
 * The authorisation matrix, generated: every Query and Mutation field of the committed schema ×
 * every role × every purpose, sent as a validly signed request to one real gateway process. Where
 * the resolver's @Requires metadata (read from the code) and the registry's roles allow it, the
 * answer must not be FORBIDDEN; everywhere else it must be FORBIDDEN, with a DENY ledger entry.
 */
describe('authorisation matrix (schema × roles × purposes)', () => {
  let db: TestDatabase;
  let ledger: FakeLedger;
  let registry: TestRegistry;
  let gw: TestGateway;
  const schema = loadSchema();
  const operations = operationsOf(schema);
  const rules = accessRulesFromCode();

  beforeAll(async () => {
    [db, ledger, registry] = await Promise.all([
      createTestDatabase('authmatrix'),
      startFakeLedger(),
      createTestRegistry({ agencies: ROLES.map((role) => ({ id: AGENCY_OF[role], roles: [role] })) }),
    ]);
    gw = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: ledger.url, env: { LOG_LEVEL: 'warn' } });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await ledger?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('reads a rule for every operation of the schema from the code, and every rule names a schema operation', () => {
    expect(operations.length).toBeGreaterThanOrEqual(15);
    const names = new Set(operations.map((o) => `${o.kind}:${o.name}`));
    // An operation without a resolver would be a schema drift; one without a rule is denied (below).
    expect(operations.filter((o) => !rules.get(`${o.kind}:${o.name}`)?.servedBy).map((o) => o.name)).toEqual([]);
    expect([...rules.keys()].filter((k) => !names.has(k))).toEqual([]);
    // the guard's metadata really is read (not an empty map that would make everything "denied")
    expect([...rules.values()].filter((r) => r.requirement).length).toBeGreaterThan(10);
  });

  it('allows exactly what @Requires and the registry allow, and refuses everything else with FORBIDDEN, audited', async () => {
    const cases = operations.flatMap((op) => ROLES.flatMap((role) => PURPOSES.map((purpose) => ({ op, role, purpose }))));
    const documents = new Map<Operation, string>(
      operations.map((op) => [op, documentOf(op, (a) => (isNonNullType(a.type) ? literalOf(a.type, VALID_LEAF) : undefined))]),
    );
    const wrong: string[] = [];
    let allowed = 0;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const { op, role, purpose } = cases[i];
        const client = registry.client(AGENCY_OF[role], gw.url);
        const res = await client.graphql<{ errors?: Array<{ extensions?: { code?: string } }> }>(documents.get(op)!, undefined, purpose);
        const codes = (res.json?.errors ?? []).map((e) => e.extensions?.code);
        const forbidden = codes.includes('FORBIDDEN');
        const shouldAllow = expectedAllowed(rules.get(`${op.kind}:${op.name}`), role, purpose);
        if (shouldAllow) allowed++;
        const where = `${op.name} as ${role} for ${purpose}`;
        if (res.status >= 500 || res.auditSeq === undefined) wrong.push(`${where}: HTTP ${res.status} ${res.body.slice(0, 160)}`);
        else if (shouldAllow && forbidden) wrong.push(`${where}: FORBIDDEN but @Requires allows it`);
        else if (!shouldAllow && !forbidden) wrong.push(`${where}: not refused (${codes.join(',') || 'no error'}) but @Requires does not allow it`);
        else if (!shouldAllow) {
          const entry = ledger.entries[res.auditSeq];
          if (entry?.decision !== 'DENY' || entry.reason !== 'FORBIDDEN' || entry.agency !== AGENCY_OF[role]) wrong.push(`${where}: ledger entry ${JSON.stringify(entry)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(wrong).toEqual([]);
    // both halves of the matrix are exercised
    expect(allowed).toBeGreaterThan(15);
    expect(cases.length - allowed).toBeGreaterThan(400);
  }, 90_000);
});
