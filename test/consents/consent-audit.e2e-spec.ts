/**
 * Consents and decisions, end to end against the real consent-audit process, PostgreSQL and
 * Kafka: grant → permit, revoke → the very next Decide denies (on another connection too),
 * expiry to the second, receipts verifiable with the gateway's public key, events on Kafka
 * through the outbox (also when the broker was down), append-only history in the database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { loadGatewayKeys } from '@passerelle/crypto';
import { createTestDatabase, freePort, kafkaBrokers, queryAsOwner, startTestConsentAudit, uniqueName, type TestConsentAudit, type TestDatabase } from '@passerelle/testing';
import { connectConsentAudit, failureOf, type ConsentAuditConnection } from './consent-audit-grpc';
import { consentTestRegistry, evidenceOf, newInternalId, writeJson } from './fixtures';

jest.setTimeout(60_000);

// @passerelle/testing (fake-ledger) loads @passerelle/contracts, which requires @nestjs/microservices:
// ESM-only in Nest 12, which jest's CommonJS runtime cannot load on Node 20. This suite only needs
// the values contracts touches at load time.

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('consent-audit: consents and decisions', () => {
  let db: TestDatabase;
  let secretsDir: string;
  let registryFile: string;
  let app: TestConsentAudit;
  let gatewayA: ConsentAuditConnection;
  let gatewayB: ConsentAuditConnection;
  let topic: string;
  let jwks: Awaited<ReturnType<typeof loadGatewayKeys>>['jwks'];

  const start = (overrides: Record<string, string> = {}) =>
    startTestConsentAudit({ registryFile, databaseUrl: db.url, secretsDir, env: { PASSERELLE_CONSENT_TOPIC: topic, ...overrides } });

  beforeAll(async () => {
    db = await createTestDatabase('consents');
    secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consents-e2e-'));
    jwks = (await loadGatewayKeys(secretsDir)).jwks;
    topic = uniqueName('consent-events');
    registryFile = writeJson(secretsDir, 'registry.json', consentTestRegistry());
    app = await start();
    gatewayA = connectConsentAudit(app.url);
    gatewayB = connectConsentAudit(app.url);
  });

  afterAll(async () => {
    gatewayA?.close();
    gatewayB?.close();
    await app?.stop();
    await db?.drop();
    if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
  });

  function grant(subject: string, overrides: Record<string, string> = {}) {
    return gatewayA.record({
      subject,
      purpose: 'JOB_MATCHING',
      recipient: 'ca.esdc',
      collectedBy: 'qc.mifi',
      validFrom: iso(Date.now() - HOUR),
      expiresAt: iso(Date.now() + 24 * HOUR),
      evidenceSha256: evidenceOf(),
      ...overrides,
    });
  }

  const jobMatching = (subject: string, field = 'province') => ({ subject, field, provider: 'qc.mifi' });

  it('permits once consent is recorded, and the receipt verifies with the gateway public key', async () => {
    const subject = newInternalId();
    const before = await gatewayA.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)] });
    expect(before.verdicts).toEqual([{ permit: false, reason: 'consent_required', agreementId: 'dsa-mifi-esdc-jobs', legalBasis: 'test agreement', consentIds: [] }]);

    const evidence = evidenceOf('signed form');
    const record = await grant(subject, { evidenceSha256: evidence });
    expect(record).toMatchObject({ subject, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collectedBy: 'qc.mifi', evidenceSha256: evidence, revokedAt: '', revokedBy: '' });

    const after = await gatewayA.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)] });
    // The permit names its legal basis and the consent it relied on: the exchange's ledger entry carries both (contract §5.2).
    expect(after.verdicts).toEqual([{ permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-jobs', legalBasis: 'test agreement', consentIds: [record.id] }]);
    expect(after.registryVersion).toMatch(/^[0-9a-f]{64}$/);

    const header = decodeProtectedHeader(record.receipt);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'consent-receipt+jwt' });
    const key = jwks.keys.find((k) => k.kid === header.kid);
    expect(key).toBeDefined();
    const { payload } = await compactVerify(record.receipt, await importJWK(key!, 'EdDSA'));
    const claims = JSON.parse(Buffer.from(payload).toString('utf8'));
    expect(claims).toMatchObject({
      iss: 'passerelle-test',
      consent_id: record.id,
      purpose: 'JOB_MATCHING',
      recipient: 'ca.esdc',
      collected_by: 'qc.mifi',
      valid_from: record.validFrom,
      expires_at: record.expiresAt,
      evidence_sha256: evidence,
      granted_at: record.grantedAt,
    });
    expect(claims).not.toHaveProperty('revoked_at');
    expect(JSON.stringify(claims)).not.toContain(subject);
  });

  it('decides each candidate in order: no agreement, field or purpose not covered, agreement out of force, no consent needed', async () => {
    const withConsent = newInternalId();
    const without = newInternalId();
    await grant(withConsent);
    const res = await gatewayB.decide({
      consumer: 'ca.esdc',
      purpose: 'JOB_MATCHING',
      candidates: [jobMatching(withConsent, 'nocCode'), jobMatching(without), jobMatching(withConsent, 'claimStatus'), { subject: withConsent, field: 'province', provider: 'ca.ircc' }],
    });
    expect(res.verdicts.map((v) => v.reason)).toEqual(['ok', 'consent_required', 'field_not_covered', 'no_agreement']);

    const stats = await gatewayB.decide({ consumer: 'ca.esdc', purpose: 'STATISTICS', candidates: [jobMatching(without)] });
    expect(stats.verdicts).toEqual([{ permit: true, reason: 'ok', agreementId: 'dsa-mifi-esdc-stats', legalBasis: 'test agreement', consentIds: [] }]);
    const otherPurpose = await gatewayB.decide({ consumer: 'ca.esdc', purpose: 'RELOCATION', candidates: [jobMatching(withConsent)] });
    expect(otherPurpose.verdicts[0]).toMatchObject({ permit: false, reason: 'purpose_not_covered' });
    const expiredAgreement = await gatewayB.decide({ consumer: 'on.mltsd', purpose: 'RELOCATION', candidates: [jobMatching(withConsent)] });
    expect(expiredAgreement.verdicts[0]).toMatchObject({ permit: false, reason: 'agreement_not_in_force' });
    expect((await gatewayB.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [] })).verdicts ?? []).toEqual([]);
  });

  it('denies the very next Decide after a revocation, on every connection, and revoking again changes nothing', async () => {
    const subject = newInternalId();
    const record = await grant(subject);
    const ask = (c: ConsentAuditConnection) => c.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)] });
    expect((await ask(gatewayA)).verdicts[0].permit).toBe(true);
    expect((await ask(gatewayB)).verdicts[0].permit).toBe(true);

    const revoked = await gatewayA.revoke({ consentId: record.id, revokedBy: 'qc.mifi' });
    expect(revoked.revokedBy).toBe('qc.mifi');
    expect(Date.parse(revoked.revokedAt)).toBeGreaterThanOrEqual(Date.parse(record.grantedAt));

    expect((await ask(gatewayB)).verdicts[0]).toEqual({ permit: false, reason: 'consent_revoked', agreementId: 'dsa-mifi-esdc-jobs', legalBasis: 'test agreement', consentIds: [] });
    expect((await ask(gatewayA)).verdicts[0]).toEqual({ permit: false, reason: 'consent_revoked', agreementId: 'dsa-mifi-esdc-jobs', legalBasis: 'test agreement', consentIds: [] });

    const again = await gatewayB.revoke({ consentId: record.id, revokedBy: 'qc.mifi' });
    expect(again.revokedAt).toBe(revoked.revokedAt);
    const { payload } = await compactVerify(again.receipt, await importJWK(jwks.keys[0], 'EdDSA'));
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ consent_id: record.id, revoked_at: revoked.revokedAt, revoked_by: 'qc.mifi' });

    const events = await queryAsOwner<{ event: string; agency: string }>(db.url, `SELECT event, agency FROM consent_events WHERE consent_id = $1 ORDER BY seq`, [record.id]);
    expect(events).toEqual([
      { event: 'granted', agency: 'qc.mifi' },
      { event: 'revoked', agency: 'qc.mifi' },
    ]);
  });

  it('lets only the collecting agency revoke, and says NOT_FOUND for an unknown consent', async () => {
    const record = await grant(newInternalId());
    const denied = await failureOf(gatewayA.revoke({ consentId: record.id, revokedBy: 'ca.esdc' }));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe(`only the agency that collected consent ${record.id} may revoke it`);
    const missing = await failureOf(gatewayA.revoke({ consentId: '00000000-0000-4000-8000-000000000000', revokedBy: 'qc.mifi' }));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toBe('no consent 00000000-0000-4000-8000-000000000000');
    const malformed = await failureOf(gatewayA.revoke({ consentId: 'nope', revokedBy: '' }));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.details).toBe('consent_id must be a consent id (a UUID); revoked_by is required (the revoking agency id)');
  });

  it('consent is collected, never self-granted: Record refuses a recipient’s own consent and an undeclared collector, with specific codes', async () => {
    const subject = newInternalId();
    const self = await failureOf(grant(subject, { collectedBy: 'ca.esdc' }));
    expect(self.code).toBe(status.PERMISSION_DENIED);
    expect(self.details).toMatch(/^self_granted_consent: /);
    const undeclared = await failureOf(grant(subject, { collectedBy: 'on.mltsd' }));
    expect(undeclared.code).toBe(status.PERMISSION_DENIED);
    expect(undeclared.details).toBe('collector_not_declared: the registry does not declare on.mltsd a consent collector for JOB_MATCHING to ca.esdc');
    expect((await gatewayA.list({ subject })).consents ?? []).toEqual([]);

    const form = evidenceOf('revoked form');
    const first = await grant(subject, { evidenceSha256: form });
    await gatewayA.revoke({ consentId: first.id, revokedBy: 'qc.mifi' });
    const replayed = await failureOf(grant(subject, { evidenceSha256: form }));
    expect(replayed.code).toBe(status.FAILED_PRECONDITION);
    expect(replayed.details).toMatch(/^regrant_evidence_reused: /);
    const events = await queryAsOwner<{ event: string }>(db.url, `SELECT e.event FROM consent_events e JOIN consents c ON c.id = e.consent_id WHERE c.subject = $1 ORDER BY e.seq`, [subject]);
    expect(events.map((e) => e.event)).toEqual(['granted', 'revoked']);
  });

  it('consent is collected, never self-granted: a consent whose collector the registry does not declare (recorded before the rule) unlocks nothing', async () => {
    const subject = newInternalId();
    // As a self-granted consent recorded before collectors were declared would sit in the table.
    await queryAsOwner(
      db.url,
      `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at)
       VALUES (gen_random_uuid(), $1, 'JOB_MATCHING', 'ca.esdc', 'ca.esdc', now() - interval '1 hour', now() + interval '1 day', $2, now())`,
      [subject, evidenceOf()],
    );
    const decided = await gatewayA.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)] });
    expect(decided.verdicts[0]).toMatchObject({ permit: false, reason: 'consent_required' });
    const inForce = await gatewayA.inForce({ subjects: [subject], purpose: 'JOB_MATCHING' });
    expect(inForce.subjects).toEqual([{ subject, recipients: [], consents: [] }]);
    // the declared collector's consent does count
    const granted = await grant(subject);
    expect((await gatewayA.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)] })).verdicts[0]).toMatchObject({ permit: true });
    // only the declared collector's consent is named as relied on, never the self-granted one
    expect((await gatewayA.inForce({ subjects: [subject], purpose: 'JOB_MATCHING' })).subjects).toEqual([{ subject, recipients: ['ca.esdc'], consents: [{ recipient: 'ca.esdc', consentId: granted.id }] }]);
  });

  it('honours expiry to the second', async () => {
    const subject = newInternalId();
    // asked `at` given instants: an expiry an hour away, so no slowness can expire it first
    const expiresMs = Math.ceil(Date.now() / 1000) * 1000 + HOUR;
    await grant(subject, { validFrom: iso(expiresMs - 60_000), expiresAt: iso(expiresMs) });
    const at = (ms: number) => gatewayA.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(subject)], at: iso(ms) });
    expect((await at(expiresMs - 1000)).verdicts[0]).toMatchObject({ permit: true, reason: 'ok' });
    expect((await at(expiresMs - 1)).verdicts[0]).toMatchObject({ permit: true, reason: 'ok' });
    expect((await at(expiresMs)).verdicts[0]).toMatchObject({ permit: false, reason: 'consent_expired' });
    expect((await at(expiresMs - 60_001)).verdicts[0]).toMatchObject({ permit: false, reason: 'consent_required' });
    // and by the service's own clock, once expiry has passed: a consent expiring in seconds,
    // recorded again with twice the slack whenever the machine was too slow to record it before
    // it expired (the service refuses an expired consent)
    const soon = newInternalId();
    let soonExpiresMs = 0;
    for (let slack = 2000; soonExpiresMs === 0; slack *= 2) {
      const candidate = Math.ceil((Date.now() + slack) / 1000) * 1000;
      try {
        await grant(soon, { validFrom: iso(candidate - 60_000), expiresAt: iso(candidate) });
        soonExpiresMs = candidate;
      } catch (e) {
        if (Date.now() < candidate || slack > 60_000) throw e; // refused for another reason than having expired meanwhile
      }
    }
    while (Date.now() <= soonExpiresMs) await new Promise((r) => setTimeout(r, Math.max(10, soonExpiresMs - Date.now() + 50)));
    const now = await gatewayB.decide({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [jobMatching(soon)] });
    expect(now.verdicts[0]).toMatchObject({ permit: false, reason: 'consent_expired' });
  });

  it('refuses a malformed consent naming every problem', async () => {
    const failure = await failureOf(
      gatewayA.record({ subject: 'CLIENT-123', purpose: 'GOSSIP', recipient: 'xx.nobody', collectedBy: 'qc.mifi', validFrom: '2026-06-01', expiresAt: iso(Date.now()), evidenceSha256: 'abc' }),
    );
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toBe(
      [
        'subject must be a gateway-internal id (i_ followed by 22 base64url characters)',
        'purpose must be one of JOB_MATCHING, RELOCATION, PROGRAM_ELIGIBILITY, STATISTICS',
        'recipient "xx.nobody" is not an agency of the registry',
        'valid_from must be an ISO-8601 timestamp with a time zone, e.g. 2026-06-01T00:00:00Z',
        'evidence_sha256 must be the base64url SHA-256 of the signed form (43 characters, no padding)',
      ].join('; '),
    );
    expect(failure.details).not.toContain('CLIENT-123');
    const backwards = await failureOf(grant(newInternalId(), { validFrom: iso(Date.now() + 2 * HOUR), expiresAt: iso(Date.now() + HOUR) }));
    expect(backwards.details).toBe('expires_at must be after valid_from (to the second)');
    const badDecide = await failureOf(gatewayA.decide({ consumer: '', purpose: 'JOB_MATCHING', candidates: [{ subject: 'raw-id', field: '', provider: 'qc.mifi' }], at: 'yesterday' }));
    expect(badDecide.code).toBe(status.INVALID_ARGUMENT);
    expect(badDecide.details).toBe(
      'consumer is required (an agency id); at must be an ISO-8601 timestamp with a time zone, or "" for now; candidates[0].subject must be a gateway-internal id; candidates[0].field is required',
    );
  });

  it('lists a subject’s consents, each with its receipt', async () => {
    const subject = newInternalId();
    const first = await grant(subject);
    const second = await grant(subject, { purpose: 'RELOCATION', recipient: 'on.mltsd' });
    await gatewayA.revoke({ consentId: first.id, revokedBy: 'qc.mifi' });
    const { consents } = await gatewayB.list({ subject });
    expect(consents.map((c) => [c.id, c.purpose, c.revokedBy])).toEqual([
      [first.id, 'JOB_MATCHING', 'qc.mifi'],
      [second.id, 'RELOCATION', ''],
    ]);
    for (const c of consents) await compactVerify(c.receipt, await importJWK(jwks.keys[0], 'EdDSA'));
    expect((await gatewayB.list({ subject: newInternalId() })).consents ?? []).toEqual([]);
  });

  it('keeps the history append-only and consents immutable but for one revocation', async () => {
    const record = await grant(newInternalId());
    const asApp = (sql: string) => queryAsOwner(db.logins['consent-audit'], sql);
    await expect(asApp(`DELETE FROM consents WHERE id = '${record.id}'`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`UPDATE consent_events SET agency = 'x' WHERE consent_id = '${record.id}'`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`UPDATE consents SET recipient = 'on.mltsd' WHERE id = '${record.id}'`)).rejects.toThrow(/a consent may only be revoked, once/);
    // even the owner cannot rewrite history
    await expect(queryAsOwner(db.url, `DELETE FROM consent_events WHERE consent_id = $1`, [record.id])).rejects.toThrow(/consent_events is append-only/);
    await expect(queryAsOwner(db.url, `TRUNCATE consents CASCADE`)).rejects.toThrow(/never removed|append-only/);
  });

  describe('consent events on Kafka', () => {
    let consumer: Consumer | undefined;
    afterAll(async () => {
      await consumer?.disconnect().catch(() => undefined);
    });

    it('publishes every grant and revocation through the outbox, even one recorded by an instance whose broker is unreachable', async () => {
      // A second instance on the same database whose broker is unreachable: its change waits in the outbox.
      const offline = await start({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
      const offlineConn = connectConsentAudit(offline.url);
      let late: Awaited<ReturnType<typeof grant>>;
      try {
        late = await offlineConn.record({
          subject: newInternalId(),
          purpose: 'JOB_MATCHING',
          recipient: 'ca.esdc',
          collectedBy: 'qc.mifi',
          validFrom: iso(Date.now()),
          expiresAt: iso(Date.now() + HOUR),
          evidenceSha256: evidenceOf(),
        });
      } finally {
        offlineConn.close();
        await offline.stop();
      }

      const subject = newInternalId();
      const granted = await grant(subject);
      const revoked = await gatewayA.revoke({ consentId: granted.id, revokedBy: 'qc.mifi' });

      // The relay drains the outbox (creating the topic) soon after each commit.
      const drained = Date.now() + 60_000;
      const pendingCount = async () => Number((await queryAsOwner<{ n: string }>(db.url, `SELECT count(*) AS n FROM consent_outbox WHERE sent_at IS NULL`))[0].n);
      while ((await pendingCount()) > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 200));
      expect(await pendingCount()).toBe(0);

      const seen: Array<{ key: string; value: Record<string, unknown> }> = [];
      const kafka = new Kafka({ clientId: uniqueName('consents-e2e'), brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
      consumer = kafka.consumer({ groupId: uniqueName('consents-e2e') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const wanted = (e: { key: string; value: Record<string, unknown> }) => [granted.id, late!.id].includes(e.key);
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({ key: message.key!.toString('utf8'), value: JSON.parse(message.value!.toString('utf8')) });
        },
      });
      const deadline = Date.now() + 60_000;
      while (seen.filter(wanted).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));

      const forGranted = seen.filter((e) => e.key === granted.id).map((e) => e.value);
      expect(forGranted).toEqual([
        { event: 'granted', consent_id: granted.id, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collected_by: 'qc.mifi', at: granted.grantedAt },
        { event: 'revoked', consent_id: granted.id, purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collected_by: 'qc.mifi', at: revoked.revokedAt },
      ]);
      expect(seen.filter((e) => e.key === late!.id).map((e) => e.value.event)).toEqual(['granted']);
      for (const e of seen) expect(JSON.stringify(e)).not.toMatch(/i_[A-Za-z0-9_-]{22}/);

    });
  });
});
