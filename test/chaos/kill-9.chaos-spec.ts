import fs from 'node:fs/promises';
import { Client } from 'pg';
import os from 'node:os';
import path from 'node:path';
import { createKafka, createReliableProducer, buildJobMatchMessage } from '@passerelle/messaging';
import { createTestDatabase, createTestRegistry, freePort, queryAsOwner, startApp, type RunningApp, type TestDatabase, type TestRegistry } from '@passerelle/testing';
import { createMatchWorld, eventually, validEvents, type MatchWorld } from '../matches/harness';
import { startLoad } from './helpers';

const KILLS = 3;

/**
 * kill -9 under load. Gateway and consent-audit: an agency load client keeps a receipt
 * (audit_seq + SHA-256 of the body) of every acknowledged answer; after every process was killed
 * KILLS times and restarted, every receipt's entry is in the ledger with that response hash.
 * Consumer: killed during ingest; afterwards every event is stored exactly once.
 */
describe('kill -9 under load', () => {
  describe('gateway and consent-audit', () => {
    let db: TestDatabase;
    let registry: TestRegistry;
    let secretsDir: string;
    let env: Record<string, string>;
    let gateway: RunningApp | undefined;
    let consentAudit: RunningApp | undefined;
    let gatewayPort: number;
    let auditUrl: string;

    const startConsentAudit = async () =>
      (consentAudit = await startApp('consent-audit', { ...env, CONSENT_AUDIT_URL: auditUrl, CONSENT_AUDIT_METRICS_PORT: String(await freePort()) }, { logLine: /consent-audit listening/, timeoutMs: 30_000 }));
    const startGateway = async () =>
      (gateway = await startApp('gateway', { ...env, GATEWAY_PORT: String(gatewayPort), CONSENT_AUDIT_URL: auditUrl, LOG_LEVEL: 'warn' }, { httpUrl: `http://127.0.0.1:${gatewayPort}/.well-known/jwks.json`, timeoutMs: 30_000 }));

    beforeAll(async () => {
      [db, registry, secretsDir] = await Promise.all([
        createTestDatabase('chaoskill'),
        createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' }, { id: 'ca.esdc', roles: ['CONSUMER'] }] }),
        fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-chaos-')),
      ]);
      env = { DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', PASSERELLE_REGISTRY: registry.file, PASSERELLE_SECRETS_DIR: secretsDir };
      [gatewayPort, auditUrl] = [await freePort(), `127.0.0.1:${await freePort()}`];
      await startConsentAudit();
      await startGateway();
    }, 90_000);

    afterAll(async () => {
      await gateway?.stop();
      await consentAudit?.stop();
      await db?.drop();
      await registry?.cleanup();
      await fs.rm(secretsDir, { recursive: true, force: true });
    });

    it(`loses no acknowledged exchange when the gateway and consent-audit are each killed ${KILLS} times`, async () => {
      const url = `http://127.0.0.1:${gatewayPort}`;
      const mifi = registry.client('qc.mifi', url);
      const esdc = registry.client('ca.esdc', url);
      const load = startLoad({
        workers: 12,
        pick: (i) =>
          i % 3 === 0
            ? { client: mifi, purpose: 'PROVISION', query: 'mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { index pseudonym } rejected { index reason } } }', variables: { r: [{ clientId: `CHAOS-${i}`, province: 'QC', claimStatus: 'PENDING', nocCode: '33102' }] } }
            : i % 3 === 1
              ? { client: esdc, purpose: 'STATISTICS', query: '{ statistics(groupBy: province) { total suppressedCells cells { key count suppressed } } }' }
              : { client: mifi, purpose: 'STATISTICS', query: '{ gatewayInfo { contractVersion } }' },
      });
      const timeline: string[] = [];
      // Each phase lasts until the load has 50 more acknowledged answers (observed progress), so
      // every kill lands under load and the receipt count does not depend on this machine's speed.
      const acksGrowBy = (n: number) => {
        const target = load.stats.acknowledged + n;
        return eventually(async () => load.stats.acknowledged >= target, 60_000, async () => `acknowledged ${load.stats.acknowledged}, waiting for ${target}`);
      };
      try {
        for (let k = 0; k < KILLS; k++) {
          await acksGrowBy(50);
          const before = load.stats.acknowledged;
          await gateway!.kill9();
          timeline.push(`gateway killed after ${before} acks`);
          await startGateway();
          await acksGrowBy(50);
          await consentAudit!.kill9();
          timeline.push(`consent-audit killed after ${load.stats.acknowledged} acks`);
          await startConsentAudit();
        }
        await acksGrowBy(50);
      } finally {
        await load.stop();
      }
      const { receipts, stats } = load;
      console.log(`kill -9 gateway ×${KILLS}, consent-audit ×${KILLS}: sent ${stats.sent}, acknowledged ${stats.acknowledged}, refused ${JSON.stringify(Object.fromEntries(stats.refused))}\n${timeline.join('\n')}`);
      expect(stats.unexpected.slice(0, 5)).toEqual([]);
      expect(receipts.length).toBeGreaterThan(200);
      // every receipt: its entry exists and records exactly the body the agency received
      const rows = await queryAsOwner<{ seq: string; response_sha256: string }>(db.url, `SELECT seq, canonical::jsonb->>'response_sha256' AS response_sha256 FROM ledger_entries WHERE seq = ANY($1::bigint[])`, [receipts.map((r) => r.auditSeq)]);
      const stored = new Map(rows.map((r) => [Number(r.seq), r.response_sha256]));
      const missing = receipts.filter((r) => !stored.has(r.auditSeq));
      const mismatched = receipts.filter((r) => stored.has(r.auditSeq) && stored.get(r.auditSeq) !== r.bodySha256);
      expect({ missing: missing.length, mismatched: mismatched.length }).toEqual({ missing: 0, mismatched: 0 });
      // and no two acknowledged answers claim the same entry
      expect(new Set(receipts.map((r) => r.auditSeq)).size).toBe(receipts.length);
      // the ledger is one gap-free sequence after all the kills
      const [{ n, max }] = await queryAsOwner<{ n: string; max: string }>(db.url, 'SELECT count(*) AS n, max(seq) AS max FROM ledger_entries');
      expect(Number(max) + 1).toBe(Number(n));
    });
  });

  describe('job-match consumer', () => {
    let world: MatchWorld;
    const EVENTS = 2000;
    const CONSUMER_KILLS = 5;

    beforeAll(async () => {
      world = await createMatchWorld({ partitions: 3, subjects: 40 });
    }, 90_000);

    afterAll(async () => {
      await world?.cleanup();
    });

    it(`stores ${EVENTS} events exactly once though the consumer is killed ${CONSUMER_KILLS} times during ingest`, async () => {
      const producer = createReliableProducer(createKafka(world.brokers.split(','), 'chaos-publisher'));
      await producer.connect();
      const events = validEvents(world, EVENTS, 'kill9');
      const messages = await Promise.all(events.map((e) => buildJobMatchMessage(e, world.signer)));
      // Driven by observed progress, not the clock, and every kill lands mid-ingest: before each
      // chunk is published, the test holds a lock that blocks inserts into job_matches; it kills
      // the consumer only once one of its sessions is seen waiting on that lock, i.e. with events
      // fetched from Kafka and not yet stored or committed, then releases the lock. The next
      // consumer must take those events over exactly once, however fast or slow this machine is.
      const chunk = Math.ceil(EVENTS / CONSUMER_KILLS);
      const count = () => world.count('SELECT count(*) AS n FROM job_matches');
      const blockedSessions = () => world.count(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      const timeline: number[] = [];
      let consumer = await world.startConsumer();
      for (let k = 0; k < CONSUMER_KILLS; k++) {
        const lock = new Client({ connectionString: world.db.url });
        await lock.connect();
        try {
          await lock.query('BEGIN');
          await lock.query('LOCK TABLE job_matches IN EXCLUSIVE MODE');
          const batch = messages.slice(k * chunk, (k + 1) * chunk);
          for (let i = 0; i < batch.length; i += 250) await producer.send({ topic: world.topic, messages: batch.slice(i, i + 250) });
          await eventually(async () => (await blockedSessions()) > 0, 60_000, async () => `round ${k}: the consumer never reached the locked table (matches=${await count()})`);
          timeline.push(await count());
          await consumer.kill9();
        } finally {
          await lock.query('ROLLBACK').catch(() => undefined);
          await lock.end();
        }
        consumer = await world.startConsumer();
        // The next round waits until this consumer has taken over everything published so far, so
        // each kill interrupts a consumer that has made progress (observed, not timed).
        if (k < CONSUMER_KILLS - 1) {
          const published = Math.min(EVENTS, (k + 1) * chunk);
          await eventually(async () => (await count()) >= published, 90_000, async () => `round ${k}: the restarted consumer never stored the ${published} events published so far (matches=${await count()})`);
        }
      }
      await producer.disconnect();
      await eventually(async () => (await count()) >= EVENTS, 90_000, async () => `matches=${await count()}`);
      // Redeliveries after the last kill, if any, land before the group's committed offsets reach
      // the end of every partition: wait for that (observed progress), then count.
      const admin = createKafka(world.brokers.split(','), 'chaos-offsets').admin();
      await admin.connect();
      try {
        const caughtUp = async () => {
          const ends = await admin.fetchTopicOffsets(world.topic);
          const [committed] = await admin.fetchOffsets({ groupId: world.group, topics: [world.topic] });
          const at = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
          return ends.every((e) => at.get(e.partition) === e.offset);
        };
        await eventually(caughtUp, 60_000, async () => 'consumer group offsets never reached the end of the topic');
      } finally {
        await admin.disconnect();
      }
      console.log(`kill -9 consumer ×${CONSUMER_KILLS} during ${EVENTS} events, stored at each kill: ${timeline.join(', ')}`);
      // every kill found the earlier rounds stored and its own round's events fetched, not yet stored
      expect(timeline).toEqual(Array.from({ length: CONSUMER_KILLS }, (_, k) => k * chunk));
      expect(await count()).toBe(EVENTS);
      expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(EVENTS);
      expect(await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
      // and audited exactly once: every kill landed inside a chunk's transaction (store and entries
      // commit together), so redelivery found nothing half-done and appended no entry twice
      const permits = (await world.consentAudit.entries()).filter((e) => e.decision === 'PERMIT');
      expect(permits.length).toBe(EVENTS);
      expect(new Set(permits.map((e) => e.jti)).size).toBe(EVENTS);
    });
  });
});
