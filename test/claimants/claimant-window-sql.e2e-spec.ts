/**
 * The claimants listing now walks its window in one SQL statement (consent, agreements, merge and
 * filter in SQL; issue 15). It must page exactly as the in-process walk it replaced: walkPage over
 * key-ordered subjects, each batch seen through `see` (records, consent, libs/policy verdicts,
 * merge), kept when something is disclosed and the filter passes on what is. Random worlds
 * (three providers with overlapping fields, supply times tied to the millisecond, nulls, consents
 * in force, revoked, expired, by undeclared collectors), random filters, page sizes and windows:
 * every page of a full pagination — nodes, hasNextPage and the position behind endCursor — is the
 * same. Runs on the gateway's own database login.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { walkPage } from '@passerelle/policy';
import { Registry, type RegistryDocument, type RegistryHolder } from '@passerelle/registry';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { matchesFilter, type ClaimantFilter, type MergedClaimant } from '../../apps/gateway/src/claimants/claimant-access';
import { ClaimantRecordsRepository } from '../../apps/gateway/src/disclosure/claimant-records.repository';
import { DisclosureService } from '../../apps/gateway/src/disclosure/disclosure.service';
import { openCursor, type CursorBinding } from '../../apps/gateway/src/disclosure/page-cursor';
import type { VerifiedCaller } from '../../apps/gateway/src/exchange/exchange-context';

jest.setTimeout(180_000);

const PROVIDERS = ['ca.ircc', 'qc.mifi', 'qc.msss'];
const doc = (consentRequiredFor: RegistryDocument['consentRequiredFor']): RegistryDocument => ({
  gatewayId: 'passerelle',
  agencies: [
    ...PROVIDERS.map((id) => ({ id, names: { en: id, fr: id }, jurisdiction: 'CA', roles: ['PROVIDER' as const], keys: [] })),
    { id: 'ca.esdc', names: { en: 'e', fr: 'e' }, jurisdiction: 'CA', roles: ['CONSUMER'], keys: [] },
  ],
  agreements: [
    { id: 'a1', provider: 'ca.ircc', consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields: ['province', 'claimStatus'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'b1' },
    { id: 'a2', provider: 'qc.mifi', consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields: ['province', 'frenchLevel', 'nocCode'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'b2' },
    { id: 'a3', provider: 'qc.msss', consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields: ['nocCode', 'healthCareHours'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'b3' },
  ],
  programs: [],
  consentRequiredFor,
  consentCollectors: [{ agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] }],
});

describe('claimants window in SQL pages exactly as the in-process walk', () => {
  let db: TestDatabase;
  let gateway: Client;
  let owner: Client;
  let repo: ClaimantRecordsRepository;
  const keys = { encryption: randomBytes(32), authentication: randomBytes(32) };

  beforeAll(async () => {
    db = await createTestDatabase('window');
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

  const T0 = Date.parse('2026-03-01T00:00:00.000Z');
  const recordArb = fc.record({
    provider: fc.constantFrom(...PROVIDERS),
    at: fc.constantFrom(0, 0, 1000, 1000.4, 5000),
    province: fc.option(fc.constantFrom('QC', 'ON'), { nil: null }),
    claimStatus: fc.option(fc.constantFrom('PENDING', 'ACCEPTED'), { nil: null }),
    nocCode: fc.option(fc.constantFrom('33102', '64410'), { nil: null }),
    frenchLevel: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
    hours: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
  });
  const consentArb = fc.constantFrom('none', 'ok', 'ok', 'revoked', 'expired', 'undeclared');
  const filterArb: fc.Arbitrary<ClaimantFilter> = fc.record(
    { province: fc.constantFrom('QC', 'ON'), nocCode: fc.constant(['33102']), frenchLevelAtLeast: fc.integer({ min: 1, max: 12 }), healthCareHoursAtLeast: fc.integer({ min: 0, max: 2000 }), claimStatus: fc.constant(['PENDING']) },
    { requiredKeys: [] },
  ) as fc.Arbitrary<ClaimantFilter>;

  it('same nodes, hasNextPage and cursor positions over full paginations', async () => {
    let pages = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ records: fc.array(recordArb, { minLength: 0, maxLength: 3 }), consent: consentArb }), { minLength: 1, maxLength: 25 }),
        filterArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async (subjects, filter, size, maxRows, needsConsent) => {
          await owner.query('DELETE FROM claimant_records');
          await owner.query('ALTER TABLE consents DISABLE TRIGGER USER');
          await owner.query('DELETE FROM consents');
          await owner.query('ALTER TABLE consents ENABLE TRIGGER USER');
          for (const s of subjects) {
            const subject = `i_${randomBytes(16).toString('base64url')}`;
            const seen = new Set<string>();
            for (const r of s.records) {
              if (seen.has(r.provider)) continue;
              seen.add(r.provider);
              await owner.query(
                `INSERT INTO claimant_records (subject, provider, province, claim_status, noc_code, french_level, health_care_hours, hours_period_start, hours_period_end, version, supplied_at, supplied_by_kid)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, 'k')`,
                [subject, r.provider, r.province, r.claimStatus, r.nocCode, r.frenchLevel, r.hours, r.hours !== null ? '2020-03-13' : null, r.hours !== null ? '2021-03-12' : null, new Date(T0 + Math.floor(r.at)).toISOString().replace('Z', `${String(Math.round((r.at % 1) * 1000)).padStart(3, '0')}Z`)],
              );
            }
            if (s.consent !== 'none') {
              const now = Date.now();
              await owner.query(
                `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at, revoked_at, revoked_by)
                 VALUES ($1, $2, 'JOB_MATCHING', 'ca.esdc', $3, $4, $5, $6, $4, $7, $8)`,
                [randomUUID(), subject, s.consent === 'undeclared' ? 'ca.ircc' : 'qc.mifi', new Date(now - 7200_000), new Date(s.consent === 'expired' ? now - 3600_000 : now + 3600_000), randomBytes(32).toString('base64url').slice(0, 43),
                  s.consent === 'revoked' ? new Date(now - 60_000) : null, s.consent === 'revoked' ? 'qc.mifi' : null],
              );
            }
          }
          const registry = new Registry(doc(needsConsent ? ['JOB_MATCHING'] : []));
          const service = new DisclosureService(repo, { current: () => registry } as unknown as RegistryHolder, keys);
          const caller = { agency: 'ca.esdc', purpose: 'JOB_MATCHING', kid: 'k', jti: 'j', exp: 0 } as unknown as VerifiedCaller;
          const access = service.claimantAccess(caller);
          const binding: CursorBinding = { operation: 'claimants', agency: caller.agency, purpose: caller.purpose, filter, ordering: 'subject asc' };
          const matches = (m: MergedClaimant) => matchesFilter(m.values, filter);
          let after: string | null = null;
          let cursor: string | null = null;
          for (let guard = 0; guard < 60; guard++) {
            const sql = await service.claimantPage(caller, access, { binding: { operation: 'claimants', filter, ordering: 'subject asc' }, filter, matches, after: cursor, size, maxRows }, undefined);
            const ref = await walkPage<string, string, MergedClaimant>({
              size,
              batch: Math.min(maxRows, 2),
              maxBatch: maxRows,
              maxRows,
              after,
              scan: (position, limit) => repo.subjectsAfter(access.readable, position, limit),
              positionOf: (s) => s,
              keep: async (rows) => {
                const { merged } = await service.see(caller, access, rows);
                return rows.flatMap((s) => {
                  const m = merged.get(s);
                  return m && m.provenance.length > 0 && matches(m) ? [{ row: s, node: m }] : [];
                });
              },
            });
            const position = sql.endCursor === null ? null : openCursor(keys, binding, sql.endCursor);
            expect({ nodes: sql.claimants.map((m) => [m.subject, m.values]), hasNextPage: sql.hasNextPage, position }).toEqual({
              nodes: ref.nodes.map((m) => [m.subject, m.values]),
              hasNextPage: ref.hasNextPage,
              position: ref.endPosition,
            });
            pages++;
            if (!sql.hasNextPage) break;
            after = position;
            cursor = sql.endCursor;
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(pages).toBeGreaterThan(60);
  });
});
