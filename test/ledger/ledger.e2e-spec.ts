/**
 * The audit ledger end to end: the built consent-audit over gRPC, against its own PostgreSQL
 * database. Concurrent appends get consecutive seqs; proofs from stored nodes verify with the
 * pure RFC 9162 verifier; tree heads are signed by the gateway key; the database refuses to
 * change history; a tampered entry is named by seq; a second instance does not write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import { canonicalize } from 'json-canonicalize';
import { Client } from 'pg';
import { LOG_PUBLIC_JWKS_FILE } from '@passerelle/crypto';
import { LedgerVerifier, leafHash, rootHash, verifyConsistency, verifyInclusion } from '@passerelle/merkle';
import { consentAuditClient, createTestDatabase, createTestRegistry, queryAsOwner, startTestConsentAudit, unary, type TestConsentAudit, type TestDatabase, type TestRegistry } from '@passerelle/testing';
import { allEntries, auditEntry, connectLedger, failureOf, type LedgerConnection } from './ledger-grpc';

jest.setTimeout(60_000);

const b64u = (s: string) => Buffer.from(s, 'base64url');
const SUBJECT_A = 'i_AAAAAAAAAAAAAAAAAAAAAA';
const SUBJECT_B = 'i_BBBBBBBBBBBBBBBBBBBBBB';

describe('consent-audit: the audit ledger', () => {
  let db: TestDatabase;
  let secretsDir: string;
  let registry: TestRegistry;
  let app: TestConsentAudit;
  let ledger: LedgerConnection;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  const start = () => startTestConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir });

  beforeAll(async () => {
    db = await createTestDatabase('ledger');
    secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-e2e-'));
    registry = await createTestRegistry();
    app = await start();
    // The log's own key, as consent-audit publishes it (public part only).
    jwks = createLocalJWKSet(JSON.parse(fs.readFileSync(path.join(secretsDir, LOG_PUBLIC_JWKS_FILE), 'utf8')));
    ledger = connectLedger(app.url);
  });

  afterAll(async () => {
    ledger?.close();
    await app?.stop();
    await db?.drop();
    await registry?.cleanup();
    if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
  });

  it('gives appends from 64 concurrent callers consecutive unique seqs, each entry its canonical JSON', async () => {
    const perCaller = 40;
    const results = await Promise.all(
      Array.from({ length: 64 }, async (_, caller) => {
        const mine = [];
        for (let i = 0; i < perCaller; i++) {
          const subjects = caller % 4 === 0 ? [SUBJECT_A] : caller % 4 === 1 ? [SUBJECT_A, SUBJECT_B] : [];
          mine.push(await ledger.append(auditEntry({ agency: caller % 2 ? 'ca.esdc' : 'qc.mifi', subjects, fields: subjects.length ? ['province'] : [], requestId: `c${caller}-${i}` })));
        }
        return mine;
      }),
    );
    const seqs = results.flat().map((r) => r.seq).sort((a, b) => a - b);
    // Entry 0 is the writer's registry:load (contract §5.2): the appends follow it, consecutive.
    expect(seqs).toEqual([...Array(64 * perCaller).keys()].map((i) => i + 1));

    const [load, ...entries] = await allEntries(ledger, seqs.length + 1);
    expect(JSON.parse(load.canonicalJson)).toMatchObject({ seq: 0, operation: 'registry:load', registry_version: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(entries.map((e) => e.seq)).toEqual(seqs);
    const bySeq = new Map(results.flat().map((r) => [r.seq, r]));
    for (const e of entries) {
      const parsed = JSON.parse(e.canonicalJson);
      expect(canonicalize(parsed)).toBe(e.canonicalJson);
      expect(parsed.seq).toBe(e.seq);
      expect(Object.keys(parsed).sort()).toEqual(['agency', 'decision', 'fields', 'jti', 'kid', 'operation', 'purpose', 'reason', 'registry_version', 'request_id', 'request_sha256', 'response_sha256', 'seq', 'subjects', 'time']);
      expect(leafHash(e.canonicalJson).toString('base64url')).toBe(bySeq.get(e.seq)!.leafHash);
      expect(parsed.time).toBe(bySeq.get(e.seq)!.time);
    }
  });

  it('signs tree heads with the log’s own key, and its proofs verify with the pure RFC 9162 verifier', async () => {
    const head = await ledger.sth({ treeSize: 0 });
    expect(head.treeSize).toBe(2561);
    const { payload, protectedHeader } = await compactVerify(head.jws, jwks);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'tree-head+jwt' });
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({ tree_size: 2561, root_hash: head.rootHash, timestamp: head.timestamp });

    const leaves = (await allEntries(ledger, head.treeSize)).map((e) => leafHash(e.canonicalJson));
    expect(rootHash(leaves).toString('base64url')).toBe(head.rootHash);

    for (const [seq, size] of [[0, 1], [0, 2560], [1234, 2560], [2559, 2560], [700, 1500], [1023, 1024]]) {
      const proof = await ledger.inclusion({ seq, treeSize: size });
      expect(proof.leafIndex).toBe(seq);
      const sized = await ledger.sth({ treeSize: size });
      expect(sized.treeSize).toBe(size);
      expect(decodeJwt(sized.jws)).toMatchObject({ tree_size: size, root_hash: sized.rootHash });
      expect(verifyInclusion(leaves[seq], seq, size, proof.auditPath.map(b64u), b64u(sized.rootHash))).toBe(true);
    }
    for (const [first, second] of [[1, 2560], [1000, 2560], [1024, 2048], [2559, 2560], [7, 9], [2560, 2560]]) {
      const proof = await ledger.consistency({ first, second });
      const [a, b] = [await ledger.sth({ treeSize: first }), await ledger.sth({ treeSize: second })];
      expect(verifyConsistency(first, second, b64u(a.rootHash), b64u(b.rootHash), proof.consistency.map(b64u))).toBe(true);
    }
    // A head asked for twice is the same stored head.
    expect((await ledger.sth({ treeSize: 1500 })).jws).toBe((await ledger.sth({ treeSize: 1500 })).jws);
  });

  it('signs a head by itself after new entries, and none while idle', async () => {
    await Promise.all(Array.from({ length: 10 }, () => ledger.append(auditEntry())));
    // the signer's timer (1 s) is waited for by the head it writes, not a fixed delay: a loaded
    // machine makes it later, never wrong
    const latestHead = async () => Number((await queryAsOwner<{ tree_size: string | null }>(db.url, 'SELECT max(tree_size) AS tree_size FROM ledger_tree_heads'))[0].tree_size ?? 0);
    for (const deadline = Date.now() + 60_000; (await latestHead()) < 2571 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(await latestHead()).toBe(2571);
    // idle: a few more timer periods pass; however slowly, no entry means no new head
    await new Promise((r) => setTimeout(r, 2500));
    const [count] = await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM ledger_tree_heads WHERE tree_size > 2571');
    expect(Number(count.n)).toBe(0);
  });

  it.each([
    ['a decision other than PERMIT or DENY', auditEntry({ decision: 'ALLOW' }), 'entry.decision must be PERMIT or DENY'],
    ['a raw identifier among the subjects', auditEntry({ subjects: ['JEAN TREMBLAY 1970-01-01'] }), 'entry.subjects[0] is not a gateway-internal id'],
    ['an empty operation', auditEntry({ operation: '' }), 'entry.operation is required'],
    ['no entry at all', {} as never, 'entry is missing'],
  ])('refuses an append with %s (INVALID_ARGUMENT, value not echoed)', async (_what, req, message) => {
    const err = await failureOf(ledger.append(req));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(err.details).not.toContain('TREMBLAY');
  });

  it('refuses out-of-range reads and proofs with a status naming the parameter', async () => {
    const cases: Array<[() => Promise<unknown>, status, string]> = [
      [() => ledger.entries({ start: 0, end: 1000 }), status.INVALID_ARGUMENT, 'at most 1000 entries'],
      [() => ledger.entries({ start: 5, end: 4 }), status.INVALID_ARGUMENT, 'end (4) must not be before start (5)'],
      [() => ledger.entries({ start: 2000, end: 99_999 }), status.INVALID_ARGUMENT, 'at most 1000'],
      [() => ledger.entries({ start: 2560, end: 3000 }), status.OUT_OF_RANGE, 'end 3000 is beyond the last entry'],
      [() => ledger.inclusion({ seq: 5, treeSize: 5 }), status.OUT_OF_RANGE, 'seq 5 is not in a tree of 5 entries'],
      [() => ledger.inclusion({ seq: 0, treeSize: 1_000_000 }), status.OUT_OF_RANGE, 'tree_size 1000000 is beyond'],
      [() => ledger.consistency({ first: 0, second: 5 }), status.INVALID_ARGUMENT, 'first must be at least 1'],
      [() => ledger.consistency({ first: 6, second: 5 }), status.INVALID_ARGUMENT, 'first (6) must not be greater than second (5)'],
      [() => ledger.sth({ treeSize: 1_000_000 }), status.OUT_OF_RANGE, 'tree_size 1000000 is beyond'],
      [() => ledger.sth({ treeSize: -1 }), status.INVALID_ARGUMENT, 'tree_size must be a whole number'],
      [() => ledger.search({ first: 501 }), status.INVALID_ARGUMENT, 'first must be between 1 and 500'],
      [() => ledger.search({ since: 'yesterday' }), status.INVALID_ARGUMENT, 'since must be an ISO-8601'],
      [() => ledger.disclosures({ subject: 'someone' }), status.INVALID_ARGUMENT, 'subject must be a gateway-internal id'],
    ];
    // One call at a time: a refusal that needs the database (the sequenced size) must not leave the others rejected unobserved.
    for (const [call, code, message] of cases) {
      const err = await failureOf(call());
      expect({ code: err.code, details: err.details }).toEqual({ code, details: expect.stringContaining(message) });
    }
  });

  it('searches newest first with filters and a cursor, and lists disclosures of a subject', async () => {
    const page1 = await ledger.search({ agency: 'ca.esdc', subject: SUBJECT_B, first: 50 });
    expect(page1.entries).toHaveLength(50);
    expect(page1.hasMore).toBe(true);
    const seqs1 = page1.entries.map((e) => e.seq);
    expect(seqs1).toEqual([...seqs1].sort((a, b) => b - a));
    for (const e of page1.entries) expect(JSON.parse(e.canonicalJson)).toMatchObject({ agency: 'ca.esdc', subjects: [SUBJECT_A, SUBJECT_B] });
    // Follow the cursor to the end: 16 callers (caller % 4 === 1, all odd: ca.esdc) × 40 entries name SUBJECT_B.
    const rest: number[] = [];
    let cursor = seqs1[seqs1.length - 1];
    for (;;) {
      const page = await ledger.search({ agency: 'ca.esdc', subject: SUBJECT_B, first: 500, beforeSeq: cursor });
      rest.push(...page.entries.map((e) => e.seq));
      if (!page.hasMore) break;
      cursor = page.entries[page.entries.length - 1].seq;
    }
    expect(seqs1.length + rest.length).toBe(640);
    expect(new Set([...seqs1, ...rest]).size).toBe(640);
    expect(Math.max(...rest)).toBeLessThan(Math.min(...seqs1));

    expect((await ledger.search({ decision: 'DENY' })).entries).toEqual([]);
    const future = await ledger.search({ since: new Date(Date.now() + 3600_000).toISOString() });
    expect(future.entries).toEqual([]);

    await ledger.append(auditEntry({ decision: 'DENY', reason: 'CONSENT_REQUIRED', subjects: [SUBJECT_B], fields: ['nocCode'] }));
    // Disclosures are shown only to a declared collector of the subject's consent (issue 14, hole 2).
    const consents = consentAuditClient('Consents', app.url);
    try {
      await unary(consents, 'Record')({
        subject: SUBJECT_B, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collectedBy: 'qc.mifi',
        validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(), evidenceSha256: 'A'.repeat(43),
      });
    } finally {
      consents.close();
    }
    const disclosures = await ledger.disclosures({ subject: SUBJECT_B, first: 500, agency: 'qc.mifi' });
    expect(disclosures.disclosures).toHaveLength(500);
    expect(disclosures.hasMore).toBe(true);
    const more = await ledger.disclosures({ subject: SUBJECT_B, first: 500, beforeSeq: disclosures.disclosures[499].seq, agency: 'qc.mifi' });
    // The DENY entry naming SUBJECT_B is not a disclosure; entries without fields are not either.
    expect(disclosures.disclosures.length + more.disclosures.length).toBe(640);
    expect(disclosures.disclosures[0]).toMatchObject({ agency: 'ca.esdc', purpose: 'JOB_MATCHING', operation: 'graphql:claimant', fields: ['province'] });
    expect(disclosures.disclosures.every((d) => d.fields.length > 0)).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the ledger tables to the app role, and to the owner through triggers', async () => {
    const asApp = new Client({ connectionString: db.logins['consent-audit'] });
    await asApp.connect();
    try {
      for (const sql of [
        `UPDATE ledger_entries SET canonical = '{}' WHERE seq = 0`,
        `DELETE FROM ledger_entries WHERE seq = 0`,
        `TRUNCATE ledger_entries`,
        `UPDATE ledger_nodes SET hash = hash WHERE level = 0 AND idx = 0`,
        `DELETE FROM ledger_tree_heads`,
      ]) {
        await expect(asApp.query(sql)).rejects.toThrow(/permission denied/);
      }
      await expect(asApp.query('SELECT count(*) FROM ledger_entries')).resolves.toBeDefined();
    } finally {
      await asApp.end();
    }
    await expect(queryAsOwner(db.url, `UPDATE ledger_entries SET canonical = '{}' WHERE seq = 0`)).rejects.toThrow('ledger_entries is append-only: UPDATE refused');
    await expect(queryAsOwner(db.url, `DELETE FROM ledger_nodes WHERE level = 0`)).rejects.toThrow('ledger_nodes is append-only: DELETE refused');
    await expect(queryAsOwner(db.url, `TRUNCATE ledger_tree_heads`)).rejects.toThrow('ledger_tree_heads is append-only: TRUNCATE refused');
  });

  it('names the tampered seq when a superuser rewrites an entry behind the triggers', async () => {
    const head = await ledger.sth({ treeSize: 0 });
    const clean = new LedgerVerifier();
    for (const e of await allEntries(ledger, head.treeSize)) clean.push(e.seq, e.canonicalJson);
    const prove = async (first: number, second: number) => (await ledger.consistency({ first, second })).consistency.map(b64u);
    const ok = await clean.finish({ treeSize: head.treeSize, rootHash: b64u(head.rootHash) }, prove);
    expect(ok.ok).toBe(true);

    // The tamper: disclose less than was disclosed, keeping the JSON canonical (on an entry of ca.esdc).
    const target = (await allEntries(ledger, head.treeSize)).find((e) => e.seq >= 1200 && JSON.parse(e.canonicalJson).agency === 'ca.esdc')!.seq;
    await queryAsOwner(
      db.url,
      `BEGIN; ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
       UPDATE ledger_entries SET canonical = replace(canonical, '"agency":"ca.esdc"', '"agency":"qc.mifi"') WHERE seq = ${target};
       ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only; COMMIT;`,
    );
    const tampered = new LedgerVerifier();
    const entries = await allEntries(ledger, head.treeSize);
    expect(JSON.parse(entries[target].canonicalJson).agency).toBe('qc.mifi');
    for (const e of entries) tampered.push(e.seq, e.canonicalJson);
    const result = await tampered.finish({ treeSize: head.treeSize, rootHash: b64u(head.rootHash) }, prove);
    expect(result).toEqual({ ok: false, check: 'entry', seq: target, message: `tampered entry at seq ${target}: its leaf hash does not match the signed tree` });
  });

  it('appends a batch of entries in one call, results in request order, refusing the whole call for one bad entry', async () => {
    const size = (await ledger.sth({ treeSize: 0 })).treeSize;
    const res = await ledger.appendBatch({ entries: Array.from({ length: 300 }, (_, i) => auditEntry({ requestId: `batch-${i}` }).entry!) });
    expect(res.results.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => size + i));
    const stored = (await ledger.entries({ start: size, end: size + 299 })).entries;
    stored.forEach((e, i) => {
      expect(JSON.parse(e.canonicalJson).request_id).toBe(`batch-${i}`);
      expect(leafHash(e.canonicalJson).toString('base64url')).toBe(res.results[i].leafHash);
    });

    const bad = await failureOf(ledger.appendBatch({ entries: [auditEntry().entry!, auditEntry().entry!, auditEntry({ decision: 'MAYBE' }).entry!] }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toBe('entries[2]: entry.decision must be PERMIT or DENY');
    expect((await failureOf(ledger.appendBatch({ entries: [] }))).details).toContain('entries is empty');
    expect((await ledger.sth({ treeSize: 0 })).treeSize).toBe(size + 300);
  });

  it('lets only one instance write: a second one serves reads, refuses appends, and takes over when the first stops', async () => {
    const second = await start();
    const other = connectLedger(second.url);
    try {
      expect(second.app.lines.some((l) => l.includes('another consent-audit instance is the ledger writer'))).toBe(true);
      const err = await failureOf(other.append(auditEntry()));
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.details).toContain('not the ledger writer');
      const size = (await ledger.sth({ treeSize: 0 })).treeSize;
      expect((await other.sth({ treeSize: 0 })).treeSize).toBe(size);

      await app.stop();
      let appended: Awaited<ReturnType<LedgerConnection['append']>> | undefined;
      for (let i = 0; i < 50 && !appended; i++) {
        appended = await other.append(auditEntry()).catch(() => undefined);
        if (!appended) await new Promise((r) => setTimeout(r, 200));
      }
      // The tail was reloaded from the database: no gap, no reuse; the new writer first records
      // the registry it loaded (seq `size`), then the append.
      expect(appended?.seq).toBe(size + 1);
      expect(JSON.parse((await other.entries({ start: size, end: size })).entries[0].canonicalJson)).toMatchObject({ operation: 'registry:load' });
    } finally {
      other.close();
      await second.stop();
    }
  });
});
