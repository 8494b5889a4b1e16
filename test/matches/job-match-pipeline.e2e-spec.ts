import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { toAgencyPseudonym, toInternalId } from '@passerelle/crypto';
import { buildJobMatchMessage, createReliableProducer, encodeJobMatch, signerFromPrivateJwk, signJobMatch, type DeadLetterCode } from '@passerelle/messaging';
import { generateAgencyKey, queryAsOwner } from '@passerelle/testing';
import { createMatchWorld, eventually, groupCaughtUp, MATCH_AGREEMENT, PUBLISHER, readTopic, validEvents, type MatchWorld, type RawMessage } from './harness';

/**
 * The job-match pipeline end to end (docs/contract.md §6): `passerelle publish-matches` → the real
 * Kafka broker → job-match-consumer process(es) → PostgreSQL, the DLQ and the ledger of the real
 * consent-audit process (consents recorded through its gRPC by their declared collector; an
 * outage is the process stopped).
 */
const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64url');

const ledgerSize = (world: MatchWorld) => world.count('SELECT count(*) AS n FROM ledger_entries');

/**
 * Nothing more may arrive: the group has committed the end of every partition, and the consumer
 * commits a chunk only once it stored, dead-lettered and audited all of it. Everything was published
 * before this is called, so what is counted afterwards is final (no clock involved).
 */
async function consumedEverything(world: MatchWorld): Promise<void> {
  await eventually(() => groupCaughtUp(world.admin, world.group, world.topic), 60_000, async () => {
    const ends = await world.admin.fetchTopicOffsets(world.topic);
    const [committed] = await world.admin.fetchOffsets({ groupId: world.group, topics: [world.topic] });
    return `group ${world.group} behind the end of ${world.topic}: ends ${JSON.stringify(ends.map((e) => [e.partition, e.offset]))}, committed ${JSON.stringify(committed.partitions)}`;
  });
}

async function dlqSize(world: MatchWorld): Promise<number> {
  const offsets = await world.admin.fetchTopicOffsets(world.dlq);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

async function produce(world: MatchWorld, messages: RawMessage[]): Promise<void> {
  const producer = createReliableProducer(world.kafka);
  await producer.connect();
  await producer.send({ topic: world.topic, acks: -1, messages });
  await producer.disconnect();
}

/** Signed bad events of every kind, each with the code the consumer must give it. */
async function badEvents(world: MatchWorld, perKind: number): Promise<Array<{ message: RawMessage; code: DeadLetterCode }>> {
  const out: Array<{ message: RawMessage; code: DeadLetterCode }> = [];
  const stranger = await signerFromPrivateJwk(PUBLISHER, (await generateAgencyKey(PUBLISHER)).privateJwk);
  const revokedKid = [...world.registry.keys.values()].find((k) => k.agency === PUBLISHER && k.publicJwk.status === 'revoked')!;
  const revoked = await signerFromPrivateJwk(PUBLISHER, revokedKid.privateJwk);
  const mifi = await signerFromPrivateJwk('qc.mifi', world.registry.activeKey('qc.mifi').privateJwk);
  const base = (kind: string, i: number) => validEvents(world, 1, `bad-${kind}-${i}`)[0];
  for (let i = 0; i < perKind; i++) {
    const garbage = Buffer.from([0x0f, 0xff, 0xff, 0xff, i]);
    out.push({
      code: 'undecodable',
      message: { key: Buffer.from(world.pseudonyms[0]), value: garbage, headers: { 'x-agency': PUBLISHER, 'x-signature': await signJobMatch(world.signer, `bad-undecodable-${i}`, garbage) } },
    });
    const tampered = await buildJobMatchMessage(base('tampered', i), world.signer);
    tampered.value = encodeJobMatch({ ...base('tampered', i), score: 0.01 });
    out.push({ code: 'bad_signature', message: tampered });
    out.push({ code: 'unknown_key', message: await buildJobMatchMessage(base('stranger', i), stranger) });
    out.push({ code: 'unknown_key', message: await buildJobMatchMessage(base('revoked', i), revoked) });
    out.push({ code: 'unknown_publisher', message: await buildJobMatchMessage(base('mifi', i), mifi) });
    const otherAgencyPseudonym = toAgencyPseudonym(world.keyring, 'qc.mifi', world.subjects[i]);
    out.push({ code: 'unknown_pseudonym', message: await buildJobMatchMessage({ ...base('pseudonym', i), pseudonym: otherAgencyPseudonym }, world.signer) });
    const unconsented = toAgencyPseudonym(world.keyring, PUBLISHER, toInternalId(world.keyring, `NO-CONSENT-${i}`));
    out.push({ code: 'consent_missing', message: await buildJobMatchMessage({ ...base('consent', i), pseudonym: unconsented }, world.signer) });
    const noc = base('noc', i);
    out.push({ code: 'invalid_field', message: await buildJobMatchMessage({ ...noc, posting: { ...noc.posting!, nocCode: '123' } }, world.signer) });
    const level = base('level', i);
    out.push({ code: 'invalid_field', message: await buildJobMatchMessage({ ...level, posting: { ...level.posting!, minEnglishClb: 13 } }, world.signer) });
  }
  return out;
}

describe('job-match events over Kafka', () => {
  let world: MatchWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  it('stores exactly the valid unique events, dead-letters every bad one unchanged with its code, audits both, and purges after revocation', async () => {
    world = await createMatchWorld({ partitions: 3, subjects: 200, purgeGraceSeconds: 2 });
    const events = validEvents(world, 2000);
    const first = await world.publishFile(events);
    expect(first.stderr).not.toContain('line ');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^published 2000 events in 4 batches to ${world.topic} in [0-9.]+ s\\n$`));
    // Republishing part of the file is safe: same event ids, stored once.
    expect((await world.publishFile(events.slice(0, 100))).code).toBe(0);
    const bad = await badEvents(world, 6);
    await produce(world, bad.map((b) => b.message));

    const consumer = await world.startConsumer();
    const w = world;
    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM job_matches')) >= 2000 && (await dlqSize(w)) >= bad.length && (await ledgerSize(w)) >= 2000 + bad.length,
      60_000,
      async () => `matches=${await w.count('SELECT count(*) AS n FROM job_matches')} dlq=${await dlqSize(w)} entries=${await ledgerSize(w)}`,
    );
    await consumedEverything(world); // nothing more may arrive
    expect(await world.count('SELECT count(*) AS n FROM job_matches')).toBe(2000);
    expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(2000);
    expect(await world.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);
    expect(await dlqSize(world)).toBe(bad.length);
    // The postings' minimum levels are stored as published; absent stays null (issue 16).
    expect(await world.count('SELECT count(*) AS n FROM job_matches WHERE min_french_nclc = 7')).toBe(667);
    expect(await world.count('SELECT count(*) AS n FROM job_matches WHERE min_english_clb = 6')).toBe(400);
    expect(await world.count('SELECT count(*) AS n FROM job_matches WHERE min_french_nclc IS NULL AND min_english_clb IS NULL')).toBe(2000 - 667 - 400 + 134);

    // The DLQ holds each bad event unchanged (key, value, headers) plus its error code.
    const letters = await readTopic(world.kafka, world.dlq, bad.length);
    const expected = new Map(bad.map((b) => [sha(b.message.value), b]));
    expect(letters).toHaveLength(bad.length);
    for (const letter of letters) {
      const original = expected.get(sha(letter.value));
      expect(original).toBeDefined();
      expect(letter.headers['x-error-code']?.toString()).toBe(original!.code);
      expect(letter.key?.toString()).toBe(original!.message.key?.toString());
      expect(letter.headers['x-signature']?.toString()).toBe(String(original!.message.headers['x-signature']));
      expect(letter.headers['x-agency']?.toString()).toBe(String(original!.message.headers['x-agency']));
      const detail = letter.headers['x-error-detail']?.toString() ?? '';
      expect(detail.length).toBeGreaterThan(0);
      expect(detail).not.toContain(letter.key?.toString() ?? '\u0000'); // no pseudonym, let alone a raw id
    }

    // An out-of-range posting level is dead-lettered with its specific reason (issue 16).
    expect(letters.filter((l) => l.headers['x-error-detail']?.toString() === 'posting.minEnglishClb must be a whole CLB level from 1 to 12 when given')).toHaveLength(6);

    // The ledger: one PERMIT per stored event (subject = internal id), one DENY per dead letter.
    const entries = await world.consentAudit.entries();
    expect(entries).toHaveLength(2000 + bad.length);
    const permits = entries.filter((e) => e.decision === 'PERMIT');
    expect(permits).toHaveLength(2000);
    expect(new Set(permits.map((e) => e.jti)).size).toBe(2000);
    expect(permits[0]).toMatchObject({ agency: PUBLISHER, purpose: 'JOB_MATCHING', operation: `kafka:${world.topic}`, reason: 'ok' });
    expect(world.subjects).toContain(permits[0].subjects[0]);
    // Each stored match names its legal basis: the publisher's agreement, the consent relied on, the registry in force.
    const version = createHash('sha256').update(await fs.readFile(world.registry.file)).digest('hex');
    const consentOf = new Map(
      (await queryAsOwner<{ id: string; subject: string }>(world.db.url, "SELECT id::text AS id, subject FROM consents WHERE purpose = 'JOB_MATCHING' AND recipient = $1", [PUBLISHER])).map((r) => [r.subject, r.id]),
    );
    for (const e of permits) {
      expect(e).toMatchObject({ agreements: [MATCH_AGREEMENT.id], legal_basis: [MATCH_AGREEMENT.legalBasis], registry_version: version });
      expect(e.consents).toEqual([consentOf.get(e.subjects[0])]);
    }
    // A refusal names no agreement; the ledger records its reason as the rule.
    for (const e of entries.filter((x) => x.decision === 'DENY')) {
      expect(e.agreements).toBeUndefined();
      expect(e).toMatchObject({ rule: e.reason, registry_version: version });
    }
    const denies = entries.filter((e) => e.decision === 'DENY');
    expect(denies.map((e) => e.reason).sort()).toEqual(bad.map((b) => b.code).sort());
    const consentDeny = denies.find((e) => e.reason === 'consent_missing')!;
    expect(consentDeny.subjects[0]).toMatch(/^i_/);
    expect(consentDeny.agency).toBe(PUBLISHER);
    expect(denies.find((e) => e.reason === 'unknown_publisher')!.agency).toBe(''); // not attributed without a verified signature

    // Metrics.
    const metrics = await (await fetch(`${consumer.probeUrl}/metrics`)).text();
    expect(metrics).toMatch(/passerelle_job_matches_stored_total\{[^}]*\} 2000\n/);
    expect(metrics).toMatch(/passerelle_job_matches_duplicates_total\{[^}]*\} 100\n/);
    expect(metrics).toMatch(/passerelle_job_matches_dead_lettered_total\{code="unknown_key"[^}]*\} 12\n/);

    // Revocation: later events are dead-lettered, and stored matches are purged after the grace period.
    const revoked = world.subjects[0];
    const before = await world.count(`SELECT count(*) AS n FROM job_matches WHERE subject = '${revoked}'`);
    expect(before).toBe(10);
    await world.consentAudit.revokeAll(revoked);
    const later = validEvents(world, 1, 'after-revocation')[0];
    expect((await world.publishFile([later])).code).toBe(0);
    await eventually(async () => (await dlqSize(w)) === bad.length + 1, 20_000, async () => `dlq=${await dlqSize(w)}`);
    await eventually(
      async () => (await w.count(`SELECT count(*) AS n FROM job_matches WHERE subject = '${revoked}'`)) === 0,
      20_000,
      async () => `matches of the revoked subject: ${await w.count(`SELECT count(*) AS n FROM job_matches WHERE subject = '${revoked}'`)}`,
    );
    expect(await world.count('SELECT count(*) AS n FROM job_matches')).toBe(2000 - before);
    expect((await world.consentAudit.entries()).filter((e) => e.decision === 'DENY' && e.jti === later.eventId).map((e) => e.reason)).toEqual(['consent_missing']);
  });

  it('refuses a file with bad lines, naming each by number, and publishes nothing', async () => {
    world = await createMatchWorld({ partitions: 1, subjects: 3 });
    const [a, b, c] = validEvents(world, 3);
    const res = await world.publishFile([a, { ...b, posting: { ...b.posting!, nocCode: '1234', province: 'XX' } }, { ...c, eventId: a.eventId, score: 3 }]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('line 2: posting.nocCode must be a NOC 2021 code of exactly 5 digits\n');
    expect(res.stderr).toContain('line 2: posting.province must be one of');
    expect(res.stderr).toContain('line 3: score must be a number from 0 to 1\n');
    expect(res.stderr).toMatch(/: 2 bad lines; nothing was published\n$/);
    const offsets = await world.admin.fetchTopicOffsets(world.topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(0);
  });

  it('stays exact through a kill -9 mid-stream and a consent-audit outage, dead-lettering nothing good', async () => {
    world = await createMatchWorld({ partitions: 3, subjects: 100 });
    const w = world;
    const events = validEvents(world, 2000);
    expect((await world.publishFile(events.slice(0, 1000))).code).toBe(0);
    const first = await world.startConsumer();
    await eventually(async () => (await w.count('SELECT count(*) AS n FROM job_matches')) >= 300, 30_000, async () => `matches=${await w.count('SELECT count(*) AS n FROM job_matches')}`);
    await first.kill9();

    // consent-audit goes down: the restarted consumer must wait, not dead-letter good events, even
    // long past its hold bound (2 s here): the probe tells the outage from a stuck event. The
    // second half is published now, so it waits for something however fast the first consumer was.
    await world.consentAudit.stop();
    expect((await world.publishFile(events.slice(1000))).code).toBe(0);
    const second = await world.startConsumer({ JOB_MATCH_MAX_HOLD_SECONDS: '2' });
    await eventually(
      async () => second.lines.filter((l) => l.includes('dependency unavailable: retrying')).length >= 3,
      30_000,
      async () => `the restarted consumer never retried:\n${second.lines.slice(-5).join('\n')}`,
    );
    await eventually(
      async () => second.lines.filter((l) => l.includes('an outage, so waiting, not dead-lettering')).length >= 2,
      30_000,
      async () => `the consumer never held an event past its bound:\n${second.lines.slice(-5).join('\n')}`,
    );
    // While it is down nothing is stored (consent cannot be checked) and nothing dead-lettered:
    // counted, then counted again after the consumer has been through two more failed attempts at
    // its events (its retry log lines come after them), not after a pause.
    const during = await world.count('SELECT count(*) AS n FROM job_matches');
    const retries = () => second.lines.filter((l) => l.includes('dependency unavailable: retrying')).length;
    const retriesAtCount = retries();
    await eventually(() => retries() >= retriesAtCount + 2, 60_000, () => `the consumer stopped retrying at ${retries()}:\n${second.lines.slice(-5).join('\n')}`);
    expect(await world.count('SELECT count(*) AS n FROM job_matches')).toBe(during);
    // The second half was published after consent-audit stopped: none of it can be stored yet.
    expect(during).toBeLessThanOrEqual(1000);
    expect(await dlqSize(world)).toBe(0);
    await world.consentAudit.start();

    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')) === 2000,
      60_000,
      async () => `matches=${await w.count('SELECT count(*) AS n FROM job_matches')} audited=${await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')}`,
    );
    await consumedEverything(world);
    expect(await world.count('SELECT count(*) AS n FROM job_matches')).toBe(2000);
    expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(2000);
    expect(await dlqSize(world)).toBe(0);
    const permits = (await world.consentAudit.entries()).filter((e) => e.decision === 'PERMIT');
    expect(new Set(permits.map((e) => e.jti)).size).toBe(2000);
    // Store and audit are ONE transaction: whatever the kill interrupted either left nothing or left
    // events stored, audited and marked, so redelivery audits nothing twice.
    expect(permits.length).toBe(2000);
    const marked = await world.count('SELECT count(DISTINCT ledger_seq) AS n FROM processed_events WHERE ledger_seq IS NOT NULL');
    expect(marked).toBe(2000);
  });

  it('stays exact with two consumer processes sharing the partitions (rebalance)', async () => {
    world = await createMatchWorld({ partitions: 4, subjects: 100 });
    const w = world;
    expect((await world.publishFile(validEvents(world, 2000))).code).toBe(0);
    const [a, b] = await Promise.all([world.startConsumer(), world.startConsumer()]);
    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')) === 2000,
      60_000,
      async () => `audited=${await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')}`,
    );
    await consumedEverything(world);
    expect(await world.count('SELECT count(*) AS n FROM job_matches')).toBe(2000);
    expect(await world.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(2000);
    expect(await dlqSize(world)).toBe(0);
    // Both processes took part: each was assigned partitions at some point.
    const joined = (lines: string[]) => lines.some((l) => /joined the job-match consumer group/.test(l) && /"partitions":\[\d/.test(l));
    expect(joined(a.lines) && joined(b.lines)).toBe(true);
    expect(new Set((await world.consentAudit.entries()).filter((e) => e.decision === 'PERMIT').map((e) => e.jti)).size).toBe(2000);
  });

  it('every event the contract allows is auditable: event ids with "." and ":" are stored and audited under their own id', async () => {
    world = await createMatchWorld({ partitions: 1, subjects: 5 });
    const w = world;
    const events = validEvents(world, 20).map((e, i) => ({ ...e, eventId: `jobbank.2026-03-01:run.7:evt.${i}` }));
    expect((await world.publishFile(events)).code).toBe(0);
    await world.startConsumer();
    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')) === 20,
      30_000,
      async () => `stored=${await w.count('SELECT count(*) AS n FROM job_matches')} audited=${await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')}`,
    );
    const permits = (await world.consentAudit.entries()).filter((e) => e.decision === 'PERMIT');
    expect(permits.map((e) => e.jti).sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(await dlqSize(world)).toBe(0);
  });

  it('a hostile publisher cannot stall a partition: an event whose entry the ledger refuses is dead-lettered with its code, audited, and the partition moves on', async () => {
    world = await createMatchWorld({ partitions: 1, subjects: 5 });
    const w = world;
    // Signed by the publisher, with an event id the contract does not allow (a space): the ledger
    // refuses an entry carrying it as its jti (INVALID_ARGUMENT), which once stalled the partition.
    const [before, after] = [validEvents(world, 3, 'before'), validEvents(world, 3, 'after')];
    const hostile = { ...validEvents(world, 1, 'hostile')[0], eventId: 'evt 1/../../x' };
    await produce(world, [
      ...(await Promise.all(before.map((e) => buildJobMatchMessage(e, w.signer)))),
      await buildJobMatchMessage(hostile, world.signer),
      ...(await Promise.all(after.map((e) => buildJobMatchMessage(e, w.signer)))),
    ]);
    await world.startConsumer();
    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')) === 6 && (await dlqSize(w)) === 1,
      30_000,
      async () => `audited=${await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')} dlq=${await dlqSize(w)}`,
    );
    const [letter] = await readTopic(world.kafka, world.dlq, 1);
    expect(letter.headers['x-error-code']?.toString()).toBe('invalid_field');
    const denies = (await world.consentAudit.entries()).filter((e) => e.decision === 'DENY');
    expect(denies.map((e) => ({ reason: e.reason, agency: e.agency, jti: e.jti }))).toEqual([{ reason: 'invalid_field', agency: PUBLISHER, jti: '' }]);
    expect(await world.count(`SELECT count(*) AS n FROM job_matches WHERE event_id LIKE 'after-%'`)).toBe(3);
  });

  it('no single event holds its partition past the bound: an event that keeps failing while its dependencies answer is dead-lettered as held_too_long, and the rest is stored', async () => {
    world = await createMatchWorld({ partitions: 1, subjects: 5 });
    const w = world;
    // The database refuses this one event's row, for ever (as a bug or a constraint would): a
    // failure the consumer cannot tell from a database outage by its error alone.
    await queryAsOwner(
      world.db.url,
      `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'this row is refused'; END $$;
       CREATE TRIGGER refuse_poison BEFORE INSERT ON job_matches FOR EACH ROW WHEN (NEW.event_id = 'poison') EXECUTE FUNCTION refuse_poison();`,
    );
    const events = [...validEvents(world, 4, 'first'), { ...validEvents(world, 1, 'x')[0], eventId: 'poison' }, ...validEvents(world, 4, 'then')];
    expect((await world.publishFile(events)).code).toBe(0);
    const consumer = await world.startConsumer({ JOB_MATCH_MAX_HOLD_SECONDS: '2' });
    await eventually(
      async () => (await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')) === 8 && (await dlqSize(w)) === 1,
      30_000,
      async () => `audited=${await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NOT NULL')} dlq=${await dlqSize(w)}\n${consumer.lines.slice(-5).join('\n')}`,
    );
    const [letter] = await readTopic(world.kafka, world.dlq, 1);
    expect(letter.headers['x-error-code']?.toString()).toBe('held_too_long');
    expect(letter.headers['x-error-detail']?.toString()).toMatch(/kept failing \(database\) for longer than the consumer's bound of 2 s/);
    const denies = (await world.consentAudit.entries()).filter((e) => e.decision === 'DENY');
    expect(denies.map((e) => ({ reason: e.reason, jti: e.jti }))).toEqual([{ reason: 'held_too_long', jti: 'poison' }]);
    expect(await world.count(`SELECT count(*) AS n FROM processed_events WHERE event_id = 'poison'`)).toBe(0);
  });
});
