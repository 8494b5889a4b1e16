/**
 * Operators and verifiers through the gateway: /audit/* REST and GraphQL over the real
 * consent-audit ledger, and `passerelle audit verify` end to end — clean, resumed from its
 * state file, and naming the seq a superuser tampered with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalize } from 'json-canonicalize';
import { leafHash, verifyConsistency, verifyInclusion } from '@passerelle/merkle';
import { createTestDatabase, createTestRegistry, queryAsOwner, runApp, startTestConsentAudit, startTestGateway, type TestConsentAudit, type TestDatabase, type TestGateway, type TestRegistry } from '@passerelle/testing';
import { auditEntry, connectLedger, type LedgerConnection } from './ledger-grpc';

jest.setTimeout(90_000);

const b64u = (s: string) => Buffer.from(s, 'base64url');

describe('gateway /audit and `passerelle audit verify`', () => {
  let db: TestDatabase;
  let secretsDir: string;
  let registry: TestRegistry;
  let consentAudit: TestConsentAudit;
  let gateway: TestGateway;
  let ledger: LedgerConnection;
  let keyFile: string;
  let stateFile: string;

  beforeAll(async () => {
    db = await createTestDatabase('auditverify');
    secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-verify-e2e-'));
    registry = await createTestRegistry();
    // consent-audit first: it creates the gateway signing key the gateway then publishes.
    consentAudit = await startTestConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir });
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: consentAudit.url, secretsDir });
    ledger = connectLedger(consentAudit.url);
    await Promise.all(Array.from({ length: 1500 }, (_, i) => ledger.append(auditEntry({ requestId: `seed-${i}` }))));
    keyFile = path.join(secretsDir, 'ops.audit.private.jwk.json');
    fs.writeFileSync(keyFile, JSON.stringify(registry.activeKey('ops.audit').privateJwk), { mode: 0o600 });
    stateFile = path.join(secretsDir, 'verify-state.json');
  });

  afterAll(async () => {
    ledger?.close();
    await gateway?.stop();
    await consentAudit?.stop();
    await db?.drop();
    await registry?.cleanup();
    if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
  });

  const operator = () => registry.client('ops.audit', gateway.url);

  it('serves the signed tree head, entries, and proofs that verify, to a signed operator request', async () => {
    const sth = await operator().get<{ tree_size: number; root_hash: string; timestamp: number; jws: string }>('/audit/sth', 'AUDIT_REVIEW');
    expect(sth.status).toBe(200);
    expect(sth.auditSeq).toBeGreaterThanOrEqual(1500);
    expect(Object.keys(sth.json).sort()).toEqual(['jws', 'mmd_ms', 'pending_since', 'root_hash', 'sequenced_size', 'timestamp', 'tree_size']);
    const size = sth.json.tree_size;
    expect(size).toBeGreaterThanOrEqual(1500);

    const page = await operator().get<{ entries: Array<Record<string, unknown>> }>('/audit/entries?start=0&end=999', 'AUDIT_REVIEW');
    expect(page.status).toBe(200);
    expect(page.json.entries).toHaveLength(1000);
    const grpcEntries = (await ledger.entries({ start: 0, end: 999 })).entries;
    page.json.entries.forEach((e, i) => expect(canonicalize(e)).toBe(grpcEntries[i].canonicalJson));

    const proof = await operator().get<{ leaf_index: number; audit_path: string[] }>(`/audit/proof/inclusion?seq=123&tree_size=${size}`, 'AUDIT_REVIEW');
    expect(proof.json.leaf_index).toBe(123);
    expect(verifyInclusion(leafHash(canonicalize(page.json.entries[123])), 123, size, proof.json.audit_path.map(b64u), b64u(sth.json.root_hash))).toBe(true);

    const older = await ledger.sth({ treeSize: 1000 });
    const consistency = await operator().get<{ consistency: string[] }>(`/audit/proof/consistency?first=1000&second=${size}`, 'AUDIT_REVIEW');
    expect(verifyConsistency(1000, size, b64u(older.rootHash), b64u(sth.json.root_hash), consistency.json.consistency.map(b64u))).toBe(true);
  });

  it.each([
    ['/audit/entries?start=0', 'query parameter end is required'],
    ['/audit/entries?start=0&end=1000', 'at most 1000 per request'],
    ['/audit/entries?start=x&end=1', 'query parameter start must be a whole number'],
    ['/audit/entries?start=0&end=99999', 'at most 1000'],
    ['/audit/entries?start=99000&end=99001', 'end 99001 is beyond the last entry'],
    ['/audit/proof/inclusion?seq=4&tree_size=4', 'query parameter tree_size must be greater than seq'],
    ['/audit/proof/inclusion?seq=1&tree_size=99999999', 'tree_size 99999999 is beyond'],
    ['/audit/proof/consistency?first=0&second=4', 'query parameter first must be at least 1'],
  ])('answers 400 bad_request naming the parameter for %s', async (url, message) => {
    const res = await operator().get<{ error: { code: string; message: string } }>(url, 'AUDIT_REVIEW');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    expect(res.json.error.message).toContain(message);
    // The refusal is in the ledger too, under the seq the signed answer names.
    const [recorded] = (await ledger.entries({ start: res.auditSeq!, end: res.auditSeq! })).entries;
    expect(JSON.parse(recorded.canonicalJson)).toMatchObject({ agency: 'ops.audit', purpose: 'AUDIT_REVIEW', decision: 'DENY', reason: 'bad_request', operation: `rest:GET ${url.split('?')[0]}` });
  });

  it('refuses agencies that are not operators, and operators signing for another purpose', async () => {
    const consumer = await registry.client('ca.esdc', gateway.url).get<{ error: { code: string } }>('/audit/sth', 'AUDIT_REVIEW');
    expect(consumer.status).toBe(403);
    const wrongPurpose = await operator().get<{ error: { code: string } }>('/audit/sth', 'STATISTICS');
    expect(wrongPurpose.status).toBe(403);
    const gql = await registry.client('ca.esdc', gateway.url).graphql<{ errors: Array<{ extensions: { code: string } }> }>('{ signedTreeHead { treeSize } }', undefined, 'AUDIT_REVIEW');
    expect(gql.json.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('answers auditEntries, auditEntry and signedTreeHead in GraphQL', async () => {
    const q = `query($f: AuditEntryFilter, $after: String) {
      signedTreeHead { treeSize rootHash jws }
      auditEntries(filter: $f, first: 5, after: $after) { nodes { seq agency decision operation canonicalJson } hasMore endCursor }
      auditEntry(seq: 3) { seq requestId canonicalJson }
    }`;
    const res = await operator().graphql<{ data: { signedTreeHead: { treeSize: number }; auditEntries: { nodes: Array<{ seq: number; operation: string; canonicalJson: string }>; hasMore: boolean; endCursor: string }; auditEntry: { seq: number; requestId: string; canonicalJson: string } } }>(
      q,
      { f: { operation: 'graphql:claimant' } },
      'AUDIT_REVIEW',
    );
    expect(res.status).toBe(200);
    const data = res.json.data;
    expect(data.signedTreeHead.treeSize).toBeGreaterThanOrEqual(1500);
    // The 1500 seeded entries follow the writer's registry:load at seq 0 and the gateway's at seq 1
    // (recorded at its start, before it answers).
    expect(data.auditEntries.nodes.map((n) => n.seq)).toEqual([1501, 1500, 1499, 1498, 1497]);
    expect(data.auditEntries.hasMore).toBe(true);
    expect(data.auditEntries.endCursor).toBe('1497');
    expect(data.auditEntry).toMatchObject({ seq: 3, requestId: expect.stringMatching(/^seed-/) });
    expect(JSON.parse(data.auditEntry.canonicalJson).seq).toBe(3);

    const missing = await operator().graphql<{ errors: Array<{ extensions: { code: string } }> }>('{ auditEntry(seq: 99999999) { seq } }', undefined, 'AUDIT_REVIEW');
    expect(missing.json.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  const verify = (extra: string[] = []) =>
    runApp('cli', ['audit', 'verify', '--gateway', gateway.url, '--agency', 'ops.audit', '--key', keyFile, '--gateway-id', registry.document.gatewayId, '--state', stateFile, ...extra]);

  it('`passerelle audit verify` checks everything, then resumes from its state, then names a tampered seq', async () => {
    const first = await verify();
    expect(first.stderr).not.toContain('FAILED');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/verified: tree_size \d+, root [A-Za-z0-9_-]{43}; \d+ new entries checked/);
    const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    expect(saved.treeSize).toBeGreaterThanOrEqual(1500);

    await Promise.all(Array.from({ length: 20 }, () => ledger.append(auditEntry())));
    const second = await verify();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`(resumed from ${saved.treeSize})`);
    const newCount = Number(/; (\d+) new entries/.exec(second.stdout)![1]);
    expect(newCount).toBeGreaterThanOrEqual(20);
    expect(newCount).toBeLessThan(100);

    await queryAsOwner(
      db.url,
      `BEGIN; ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
       UPDATE ledger_entries SET canonical = replace(canonical, '"decision":"PERMIT"', '"decision":"DENY"') WHERE seq = 777;
       ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only; COMMIT;`,
    );
    const tampered = await verify(['--state', path.join(secretsDir, 'fresh-state.json')]);
    expect(tampered.code).toBe(3);
    expect(tampered.stderr).toContain('tampered entry at seq 777');
    expect(fs.existsSync(path.join(secretsDir, 'fresh-state.json'))).toBe(false);
    // The same check with the leaves hashed by worker threads (the path for large ledgers).
    const threaded = await verify(['--state', path.join(secretsDir, 'threaded-state.json'), '--workers', '2']);
    expect(threaded.code).toBe(3);
    expect(threaded.stderr).toContain('tampered entry at seq 777');
  });
});
