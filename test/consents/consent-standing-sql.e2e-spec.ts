/**
 * The gateway decides consent in the SQL that reads the records (issue 15): its predicate must
 * give exactly libs/policy's verdicts. Random consent sets (collectors declared or not, the
 * recipient itself, legacy collectors, revocations and bounds on both sides of the instant, to
 * the millisecond around second boundaries) go into the real consents table; the gateway's SQL,
 * run on the gateway's own login, and the pure function must agree on every subject's standing
 * (reason and consent ids) and on the listing's "in force" predicate.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { declaredCollectors, standingsOf, type CollectedConsentTerms, type CollectorDeclaration } from '@passerelle/policy';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { ClaimantRecordsRepository } from '../../apps/gateway/src/disclosure/claimant-records.repository';
import { consentInForceSql } from '../../apps/gateway/src/disclosure/consent-standing.sql';
import { evidenceOf, newInternalId } from './fixtures';

jest.setTimeout(120_000);

const PURPOSES = ['JOB_MATCHING', 'RELOCATION'];
const AGENCIES = ['qc.mifi', 'ca.esdc', 'ca.ircc', 'on.legacy'];
const COLLECTORS: CollectorDeclaration[] = [
  { agency: 'qc.mifi', purposes: ['JOB_MATCHING', 'RELOCATION'], recipients: ['ca.esdc', 'ca.ircc'] },
  { agency: 'ca.ircc', purposes: ['RELOCATION'], recipients: ['ca.esdc', 'ca.ircc'] },
];
const BASE = Date.parse('2026-06-15T12:00:00.000Z');
/** offsets from the instant's second, in ms: both sides of each boundary, to the millisecond */
const OFFSET = fc.oneof(fc.constantFrom(-86_400_000, -2000, -1001, -1000, -999, -1, 0, 1, 499, 500, 501, 999, 1000, 1001, 2000, 86_400_000), fc.integer({ min: -5000, max: 5000 }));

describe('consent standing: the gateway SQL equals libs/policy', () => {
  let db: TestDatabase;
  let gateway: Client;
  let owner: Client;
  let repo: ClaimantRecordsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('standing');
    gateway = new Client({ connectionString: db.logins.gateway });
    await gateway.connect();
    owner = new Client({ connectionString: db.url });
    await owner.connect();
    repo = new ClaimantRecordsRepository({ query: async (sql: string, params: unknown[]) => (await gateway.query(sql, params)).rows } as unknown as DataSource);
  });
  afterAll(async () => {
    await gateway?.end();
    await owner?.end();
    await db?.drop();
  });

  it('same standing for every subject, purpose and recipient, on random consent sets', async () => {
    const consentArb = fc.record({
      subject: fc.nat(3),
      purpose: fc.constantFrom(...PURPOSES),
      recipient: fc.constantFrom(...AGENCIES),
      collectedBy: fc.constantFrom(...AGENCIES),
      from: OFFSET,
      length: fc.oneof(fc.constantFrom(1, 999, 1000, 1001, 2000), fc.integer({ min: 1, max: 100_000 })),
      revoked: fc.option(OFFSET, { nil: null }),
    });
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(consentArb, { maxLength: 12 }), fc.integer({ min: 0, max: 999 }), async (drawn, atMs) => {
        const subjects = [newInternalId(), newInternalId(), newInternalId(), newInternalId()];
        const at = new Date(BASE + atMs);
        const consents: CollectedConsentTerms[] = drawn.map((d) => {
          const validFrom = new Date(BASE + d.from);
          return {
            id: randomUUID(),
            subject: subjects[d.subject],
            purpose: d.purpose,
            recipient: d.recipient,
            collectedBy: d.collectedBy,
            validFrom,
            expiresAt: new Date(validFrom.getTime() + d.length),
            revokedAt: d.revoked === null ? null : new Date(BASE + d.revoked),
          };
        });
        for (const c of consents) {
          await owner.query(
            `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at, revoked_at, revoked_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6, $9, CASE WHEN $9::timestamptz IS NULL THEN NULL ELSE $5 END)`,
            [c.id, c.subject, c.purpose, c.recipient, c.collectedBy, c.validFrom, c.expiresAt, evidenceOf(), c.revokedAt],
          );
        }
        for (const purpose of PURPOSES) {
          for (const recipient of AGENCIES) {
            const q = { purpose, recipient, collectors: declaredCollectors(COLLECTORS, purpose, recipient), at };
            const pure = standingsOf(subjects, consents, { purpose, recipient, collectors: COLLECTORS, at });
            const sql = await repo.standings(subjects, q);
            const params: unknown[] = [subjects];
            const exists = (await gateway.query(`SELECT u.subject, ${consentInForceSql('u.subject', q, params)} AS ok FROM unnest($1::text[]) AS u(subject)`, params)).rows as Array<{ subject: string; ok: boolean }>;
            for (const s of subjects) {
              expect({ s, purpose, recipient, standing: sql.get(s) }).toEqual({ s, purpose, recipient, standing: pure.get(s) });
              expect(exists.find((e) => e.subject === s)!.ok).toBe(pure.get(s)!.reason === 'ok');
              compared++;
            }
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(compared).toBe(60 * PURPOSES.length * AGENCIES.length * 4);
  });
});
