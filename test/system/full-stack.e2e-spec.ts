import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LedgerEntryJson } from '@passerelle/contracts';
import { createKafka } from '@passerelle/messaging';
import { createTestDatabase, dumpDatabase, freePort, kafkaBrokers, queryAsOwner, REPO_ROOT, runApp, startApp, uniqueName, type RunningApp, type TestDatabase } from '@passerelle/testing';

/**
 * The whole system as `npm start` runs it — the three real apps on one database and the real
 * broker, the demo registry with generated keys, the demo data loaded through signed requests —
 * then checks that every part reports healthy, that job matches published to Kafka went through
 * the real consent-audit (consent check, ledger) into storage, that an operator's offline
 * verification of the whole ledger passes, and that SIGTERM stops every app cleanly.
 */
describe('the whole system, end to end', () => {
  let db: TestDatabase;
  let secrets: string;
  const apps: RunningApp[] = [];
  let env: Record<string, string>;
  let gatewayUrl: string;
  let consentProbe: string;
  let gatewayProbe: string;
  let consumerProbe: string;
  const topic = uniqueName('jobbank.matches.sys');

  beforeAll(async () => {
    db = await createTestDatabase('sys');
    secrets = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-sys-'));
    const registryFile = path.join(secrets, 'registry.json');
    const init = await runApp('cli', ['demo', 'init', '--registry-template', path.join(REPO_ROOT, 'infra/registry/demo.json'), '--secrets', secrets, '--out', registryFile]);
    expect(init.code).toBe(0);
    const [gatewayPort, grpcPort, consentMetrics, consumerMetrics, gatewayProbePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    gatewayProbe = `http://127.0.0.1:${gatewayProbePort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    consentProbe = `http://127.0.0.1:${consentMetrics}`;
    consumerProbe = `http://127.0.0.1:${consumerMetrics}`;
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers(),
      PASSERELLE_REGISTRY: registryFile,
      PASSERELLE_SECRETS_DIR: secrets,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_PROBE_PORT: String(gatewayProbePort),
      CONSENT_AUDIT_URL: `127.0.0.1:${grpcPort}`,
      CONSENT_AUDIT_METRICS_PORT: String(consentMetrics),
      CONSUMER_METRICS_PORT: String(consumerMetrics),
      PASSERELLE_CONSENT_TOPIC: uniqueName('passerelle.consent.sys'),
      JOB_MATCH_TOPIC: topic,
      JOB_MATCH_GROUP: uniqueName('passerelle.job-match-consumer.sys'),
    };
    apps.push(await startApp('consent-audit', env, { logLine: /consent-audit listening/ }));
    apps.push(await startApp('gateway', env, { httpUrl: `${gatewayUrl}/health` }));
    apps.push(await startApp('job-match-consumer', env, { logLine: /job-match-consumer running/ }));
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await db?.drop();
    if (secrets) await fs.rm(secrets, { recursive: true, force: true });
  });

  it('reports database and Kafka up in every part', async () => {
    expect(await (await fetch(`${gatewayUrl}/health`)).json()).toEqual({ status: 'up' });
    for (const url of [`${gatewayProbe}/health`, `${consentProbe}/health`, `${consumerProbe}/health`]) {
      const res = await fetch(url);
      expect({ url, status: res.status, body: await res.json() }).toMatchObject({ status: 200, body: { status: 'up', components: { database: { status: 'up' }, kafka: { status: 'up' } } } });
    }
  });

  it('loads the demo data through signed requests and stores every consented job match once, audited', async () => {
    const seed = await runApp('cli', ['demo', 'seed', '--gateway', gatewayUrl, '--secrets', secrets, '--count', '30', '--topic', topic], env, 90_000);
    expect(seed.stderr).toBe('');
    expect(seed.code).toBe(0);
    const published = Number(/(\d+) job matches published/.exec(seed.stdout)?.[1]);
    expect(published).toBeGreaterThan(0);
    const deadline = Date.now() + 60_000;
    let stored = 0;
    while (Date.now() < deadline) {
      [{ n: stored }] = await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM job_matches');
      if (stored >= published) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stored).toBe(published);
    const [{ n: audited }] = await queryAsOwner<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM ledger_entries WHERE operation LIKE 'kafka:%' AND decision = 'PERMIT'");
    expect(audited).toBe(published);
  });

  it('every PERMIT entry of the demo run that moved claimant fields, from every app, names its agreements, legal basis and registry version', async () => {
    const registryText = await fs.readFile(env.PASSERELLE_REGISTRY);
    const version = createHash('sha256').update(registryText).digest('hex');
    const document = JSON.parse(registryText.toString('utf8')) as { agreements: Array<{ id: string; legalBasis: string }>; consentRequiredFor?: string[] };
    const legalBasisOf = new Map(document.agreements.map((a) => [a.id, a.legalBasis]));
    const consentPurposes = new Set(document.consentRequiredFor ?? ['JOB_MATCHING', 'RELOCATION']);
    const rows = await queryAsOwner<{ canonical: string }>(db.url, 'SELECT canonical FROM ledger_entries ORDER BY seq');
    const all = rows.map((r) => JSON.parse(r.canonical) as LedgerEntryJson);

    // Each app recorded the registry it loaded, with the version of the file's bytes.
    const loads = all.filter((e) => e.operation === 'registry:load');
    expect([...new Set(loads.map((e) => e.request_id))].sort()).toEqual(['consent-audit', 'gateway', 'job-match-consumer']);
    for (const e of loads) expect(e.registry_version).toBe(version);

    const moved = all.filter((e) => e.decision === 'PERMIT' && e.fields.length > 0);
    const byApp = (e: LedgerEntryJson) => (e.operation.startsWith('kafka:') ? 'job-match-consumer' : e.purpose === 'PROVISION' ? 'gateway provision' : 'gateway disclosure');
    expect([...new Set(moved.map(byApp))]).toEqual(expect.arrayContaining(['gateway provision', 'job-match-consumer']));
    const lacking = moved.filter(
      (e) =>
        !e.agreements?.length ||
        JSON.stringify(e.legal_basis) !== JSON.stringify([...new Set(e.agreements.map((id) => legalBasisOf.get(id)))].sort()) ||
        e.registry_version !== version ||
        (consentPurposes.has(e.purpose) && !e.consents?.length),
    );
    expect(lacking.map((e) => ({ seq: e.seq, operation: e.operation }))).toEqual([]);
    // Every entry names the registry in force; every refusal names its rule; only a refusal does.
    expect(all.filter((e) => e.registry_version !== version).map((e) => e.seq)).toEqual([]);
    for (const e of all) expect(e.decision === 'DENY' ? typeof e.rule : e.rule).toBe(e.decision === 'DENY' ? 'string' : undefined);
  });

  it('never stores, logs or publishes a raw client id', async () => {
    // The demo's client ids (DEMO-0001…) are the markers: they went in through submitClaimants.
    const marker = /DEMO-\d{4}/;
    const dump = await dumpDatabase(db.url, { dataOnly: true });
    expect(dump.length).toBeGreaterThan(1000);
    expect(dump).not.toMatch(marker);
    const lines = apps.flatMap((a) => a.lines);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => marker.test(l))).toEqual([]);
    const kafka = createKafka(kafkaBrokers().split(','), uniqueName('sys-scan'));
    const consumer = kafka.consumer({ groupId: uniqueName('sys-scan'), maxWaitTimeInMs: 200 });
    const topics = [topic, `${topic}.dlq`, env.PASSERELLE_CONSENT_TOPIC];
    const seen: string[] = [];
    // every message each topic holds now (fresh topics: offsets from 0), read to the end before judging
    const admin = kafka.admin();
    await admin.connect();
    const held = (await Promise.all(topics.map(async (t) => (await admin.fetchTopicOffsets(t).catch(() => [])).reduce((n, p) => n + Number(p.high), 0)))).reduce((a, b) => a + b, 0);
    await admin.disconnect();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(`${message.key?.toString('latin1') ?? ''} ${message.value?.toString('latin1') ?? ''} ${JSON.stringify(message.headers ?? {})}`);
      },
    });
    // a hang bound: a new consumer group joins slowly on a loaded machine
    const until = Date.now() + 90_000;
    while (Date.now() < until && seen.length < held) await new Promise((r) => setTimeout(r, 200));
    await consumer.disconnect();
    expect(held).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThanOrEqual(held);
    expect(seen.filter((m) => marker.test(m))).toEqual([]);
  });

  it("passes an operator's offline verification of the whole ledger", async () => {
    // Wait until the tree-head signer has covered every entry written so far (observed, not slept).
    const [{ n: entries }] = await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM ledger_entries');
    const deadline = Date.now() + 60_000;
    const covered = async () => (await queryAsOwner<{ n: number }>(db.url, 'SELECT coalesce(max(tree_size), 0)::int AS n FROM ledger_tree_heads'))[0].n;
    while ((await covered()) < entries && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await covered()).toBeGreaterThanOrEqual(entries);
    const verify = await runApp('cli', ['audit', 'verify', '--gateway', gatewayUrl, '--agency', 'ops.audit', '--key', path.join(secrets, 'agencies', 'ops.audit.private.jwk.json')], env);
    expect(verify.stdout).toMatch(/^verified: tree_size \d+/m);
    expect(verify.code).toBe(0);
  });

  it('stops every app cleanly on SIGTERM', async () => {
    for (const app of apps.splice(0).reverse()) {
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    }
  });
});
