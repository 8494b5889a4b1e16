import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createKafka, createReliableProducer, RelocationEvent, REFERRAL_EVENT_SIGNATURE_HEADER, verifyReferralEvent } from '@passerelle/messaging';
import type { JWK } from 'jose';
import { createTestDatabase, createTestRegistry, eventually, kafkaBrokers, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import type { Consumer } from 'kafkajs';

/**
 * The referral lifecycle (issue 16) through the real gateway and consent-audit: each move made
 * only by its party, compare-and-set (a replay is refused), its event and outbox message written
 * with it, every attempt in the ledger; the willingness's end withdraws the referral.
 */
const agreement = (id: string, provider: string, consumer: string): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields: ['province', 'nocCode'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }>;
}
type Moved = { moveReferral: { referralId: string; from: string; to: string; reason: string } };

const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const REVOKE = `mutation($id: String!) { revokeConsent(consentId: $id) { id } }`;
const REFER = `mutation($p: String!, $to: String!, $m: ID!) { referRelocation(pseudonym: $p, toAgency: $to, jobMatchId: $m) { id } }`;
const MOVE = `mutation($r: ID!, $s: String!, $reason: String) { moveReferral(referral: $r, status: $s, reason: $reason) { referralId from to reason } }`;
const RECEIVED = `query { referrals { nodes { id status } } }`;
const MADE = `query($since: String!) { referralsMade(since: $since) { id toAgency status province nocCode } }`;

describe('referral lifecycle', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  let consumer: Consumer;
  const topic = uniqueName('passerelle.referrals.t');
  /** Messages seen on the referral topic, by key: decoded only once their gateway signature verified. */
  const published: Array<{ key: string; event: string; payload: RelocationEvent }> = [];
  const refused: Array<{ key: string; detail: string }> = [];
  let jwks: { keys: JWK[] };
  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose = 'RELOCATION') =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;
  const move = (agency: string, referral: string, status: string, reason?: string) => call<Moved>(agency, MOVE, { r: referral, s: status, reason });

  /** A claimant willing to go to New Brunswick, with a match there, referred by MIFI: the referral id and the consent id. */
  const referred = async () => {
    const subject = toInternalId(keyring, uniqueName('CLIENT'));
    const consent = await call<{ recordConsent: { id: string } }>('qc.mifi', RECORD, {
      input: {
        pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject), purpose: 'RELOCATION', recipient: 'nb.petl', destinations: ['NB'],
        validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
        evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
      },
    }, 'CONSENT_MANAGEMENT');
    const match = (await queryAsOwner<{ id: string }>(db.url,
      `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
       VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Job', '33102', 'NB', 'Moncton', 2500, 'EN_OR_FR', 0.9, now()) RETURNING id`, [uniqueName('event'), subject]))[0].id;
    const res = await call<{ referRelocation: { id: string } }>('qc.mifi', REFER, { p: toAgencyPseudonym(keyring, 'qc.mifi', subject), to: 'nb.petl', m: match });
    expect(res.json.errors).toBeUndefined();
    return { referral: res.json.data!.referRelocation.id, consent: consent.json.data!.recordConsent.id };
  };

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('lifecycle'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl')],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn', PASSERELLE_REFERRAL_TOPIC: topic } });
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    const kafka = createKafka(kafkaBrokers().split(','), uniqueName('referrals-test'));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: uniqueName('referrals-test') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    jwks = (await (await fetch(`${stack.gateway.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value ?? Buffer.alloc(0);
        const check = await verifyReferralEvent({ signature: message.headers?.[REFERRAL_EVENT_SIGNATURE_HEADER]?.toString(), value }, jwks, registry.document.gatewayId);
        if (!check.ok) return void refused.push({ key: String(message.key), detail: check.detail });
        const payload = RelocationEvent.decode(value);
        expect(payload.eventId).toBe(check.eventId);
        published.push({ key: String(message.key), event: String(message.headers?.event ?? ''), payload });
      },
    });
  }, 240_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('goes from REFERRED to EMPLOYED, each move by its party, each with its event and outbox message, each audited', async () => {
    const { referral } = await referred();
    const steps: Array<[string, string]> = [['nb.petl', 'CONTACTED'], ['qc.mifi', 'ACCEPTED'], ['nb.petl', 'RELOCATED'], ['ca.esdc', 'EMPLOYED']];
    let from = 'REFERRED';
    for (const [agency, to] of steps) {
      const res = await move(agency, referral, to);
      expect([agency, to, res.json.errors]).toEqual([agency, to, undefined]);
      expect(res.json.data!.moveReferral).toMatchObject({ referralId: referral, from, to, reason: 'AS_PLANNED' });
      expect(await entryOf(res)).toMatchObject({ agency, decision: 'PERMIT', operation: expect.stringContaining('moveReferral') });
      from = to;
    }
    const events = await queryAsOwner<{ from_status: string; to_status: string; party: string }>(db.url, `SELECT from_status, to_status, party FROM referral_events WHERE referral_id = $1 ORDER BY at`, [referral]);
    expect(events.map((e) => `${e.from_status}>${e.to_status}:${e.party}`)).toEqual([
      'REFERRED>CONTACTED:RECEIVING_PROVINCE', 'CONTACTED>ACCEPTED:REFERRING_AGENCY', 'ACCEPTED>RELOCATED:RECEIVING_PROVINCE', 'RELOCATED>EMPLOYED:EMPLOYMENT_AUTHORITY',
    ]);
    const outbox = await queryAsOwner<{ topic: string; event: string; payload: string }>(db.url, `SELECT topic, event, payload FROM referral_outbox WHERE message_key = $1 ORDER BY created_at`, [referral]);
    expect(outbox.map((o) => [o.topic, o.event])).toEqual([
      [topic, 'referral.referred'], [topic, 'referral.contacted'], [topic, 'referral.accepted'], [topic, 'referral.relocated'], [topic, 'referral.employed'],
    ]);
    for (const o of outbox) expect(Buffer.from(o.payload, 'base64').toString('latin1')).not.toMatch(/i_[A-Za-z0-9_-]{22}/);
    // Published to Kafka as signed protobuf, named after each move, in order (waits on the verified messages themselves).
    const seen = () => published.filter((p) => p.key === referral).map((p) => p.event);
    await eventually(() => seen().length >= 5, 60_000, () => `seen ${seen().join(' ')}`);
    expect(seen()).toEqual(['referral.referred', 'referral.contacted', 'referral.accepted', 'referral.relocated', 'referral.employed']);
    expect(published.find((p) => p.key === referral && p.event === 'referral.employed')!.payload).toMatchObject({
      event: 'referral.employed', referral: { referralId: referral, fromStatus: 'RELOCATED', toStatus: 'EMPLOYED', party: 'EMPLOYMENT_AUTHORITY', toAgency: 'nb.petl', province: 'NB', nocCode: '33102' },
    });
    expect(refused.filter((r) => r.key === referral)).toEqual([]);
    expect(await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM referral_outbox WHERE message_key = $1 AND published_at IS NULL', [referral])).toEqual([{ n: '0' }]);
    // The receiving province sees the status; the referring agency follows what became of its referrals.
    const received = (await call<{ referrals: { nodes: Array<{ id: string; status: string }> } }>('nb.petl', RECEIVED, {})).json.data!.referrals.nodes;
    expect(received.find((n) => n.id === referral)).toEqual({ id: referral, status: 'EMPLOYED' });
    const made = (await call<{ referralsMade: Array<{ id: string; status: string; toAgency: string }> }>('qc.mifi', MADE, { since: new Date(Date.now() - 86400_000).toISOString().slice(0, 10) })).json.data!.referralsMade;
    expect(made.find((m) => m.id === referral)).toMatchObject({ toAgency: 'nb.petl', status: 'EMPLOYED', province: 'NB', nocCode: '33102' });
  });

  it('refuses a move by the wrong party, an illegal move, a replay, a bad reason and an outsider, and audits each refusal', async () => {
    const { referral } = await referred();
    const cases: Array<[string, string, string, string | undefined, string]> = [
      ['a move by the wrong party', 'qc.mifi', 'CONTACTED', undefined, 'FORBIDDEN'],
      ['ESDC employing before relocation', 'ca.esdc', 'EMPLOYED', undefined, 'CONFLICT'],
      ['a skipped step', 'nb.petl', 'RELOCATED', undefined, 'CONFLICT'],
      ['an agency withdrawing in the claimant\'s stead', 'qc.mifi', 'WITHDRAWN', 'CONSENT_REVOKED', 'FORBIDDEN'],
      ['an agency taking no part in it', 'on.mltsd', 'CONTACTED', undefined, 'NOT_FOUND'],
    ];
    for (const [name, agency, to, reason, code] of cases) {
      const res = await move(agency, referral, to, reason);
      expect([name, res.json.errors?.[0].extensions?.code]).toEqual([name, code]);
      expect([name, await entryOf(res)]).toMatchObject([name, { agency, decision: 'DENY', reason: code }]);
    }
    expect((await move('nb.petl', referral, 'CONTACTED')).json.errors).toBeUndefined();
    const replay = await move('nb.petl', referral, 'CONTACTED');
    expect(replay.json.errors?.[0]).toMatchObject({ message: 'a CONTACTED referral can only move to ACCEPTED or DECLINED or WITHDRAWN, not CONTACTED', extensions: { code: 'CONFLICT' } });
    const noReason = await move('qc.mifi', referral, 'DECLINED');
    expect(noReason.json.errors?.[0]).toMatchObject({ message: expect.stringContaining('reason for CONTACTED → DECLINED must be one of'), extensions: { code: 'BAD_USER_INPUT' } });
    const declined = await move('qc.mifi', referral, 'DECLINED', 'HOUSING_UNSUITABLE');
    expect(declined.json.data!.moveReferral).toMatchObject({ to: 'DECLINED', reason: 'HOUSING_UNSUITABLE' });
    expect((await move('nb.petl', referral, 'RELOCATED')).json.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM referral_events WHERE referral_id = $1', [referral])).toEqual([{ n: '2' }]);
  });

  it('compare-and-set: of two concurrent identical moves exactly one is made, with one event', async () => {
    const { referral } = await referred();
    const both = await Promise.all([move('nb.petl', referral, 'CONTACTED'), move('nb.petl', referral, 'CONTACTED')]);
    expect(both.map((r) => r.json.errors?.[0]?.extensions?.code ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
    expect(await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM referral_events WHERE referral_id = $1', [referral])).toEqual([{ n: '1' }]);
    expect(await queryAsOwner<{ n: string }>(db.url, `SELECT count(*) AS n FROM referral_outbox WHERE message_key = $1 AND event = 'referral.contacted'`, [referral])).toEqual([{ n: '1' }]);
  });

  it("revoking the willingness withdraws the open referral at once (event signed and published) and stops its disclosure", async () => {
    const { referral, consent } = await referred();
    expect((await move('nb.petl', referral, 'CONTACTED')).json.errors).toBeUndefined();
    expect((await call<{ referrals: { nodes: Array<{ id: string }> } }>('nb.petl', RECEIVED, {})).json.data!.referrals.nodes.map((n) => n.id)).toContain(referral);
    const revoked = await call<unknown>('qc.mifi', REVOKE, { id: consent }, 'CONSENT_MANAGEMENT');
    expect(revoked.json.errors).toBeUndefined();
    // Withdrawn in the revocation's own request: no other call was made on the referral.
    const events = await queryAsOwner<{ to_status: string; party: string; reason: string; agency: string | null }>(db.url, `SELECT to_status, party, reason, agency FROM referral_events WHERE referral_id = $1 ORDER BY at`, [referral]);
    expect(events.at(-1)).toEqual({ to_status: 'WITHDRAWN', party: 'CLAIMANT_CONSENT', reason: 'CONSENT_REVOKED', agency: null });
    expect(await entryOf(revoked)).toMatchObject({ agency: 'qc.mifi', decision: 'PERMIT', operation: expect.stringContaining('revokeConsent') });
    await eventually(() => published.some((p) => p.key === referral && p.event === 'referral.withdrawn'), 60_000, () => 'referral.withdrawn not published');
    expect(published.find((p) => p.key === referral && p.event === 'referral.withdrawn')!.payload.referral).toMatchObject({ fromStatus: 'CONTACTED', toStatus: 'WITHDRAWN', party: 'CLAIMANT_CONSENT', reason: 'CONSENT_REVOKED' });
    // No further disclosure: the receiving province no longer sees it, and no move is made.
    expect((await call<{ referrals: { nodes: Array<{ id: string }> } }>('nb.petl', RECEIVED, {})).json.data!.referrals.nodes.map((n) => n.id)).not.toContain(referral);
    const after = await move('qc.mifi', referral, 'ACCEPTED');
    expect(after.json.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await entryOf(after)).toMatchObject({ decision: 'DENY', reason: 'CONFLICT' });
    expect(await queryAsOwner<{ n: string }>(db.url, `SELECT count(*) AS n FROM referral_events WHERE referral_id = $1 AND to_status = 'WITHDRAWN'`, [referral])).toEqual([{ n: '1' }]);
  });

  it('a consumer of the topic refuses a tampered event, an event signed by another key and an unsigned one', async () => {
    const { referral } = await referred();
    await eventually(() => published.some((p) => p.key === referral && p.event === 'referral.referred'), 60_000, () => 'referral.referred not published');
    const [row] = await queryAsOwner<{ payload: string; signature: string }>(db.url, `SELECT payload, signature FROM referral_outbox WHERE message_key = $1 AND event = 'referral.referred'`, [referral]);
    const value = Buffer.from(row.payload, 'base64');
    expect(await verifyReferralEvent({ signature: row.signature, value }, jwks, registry.document.gatewayId)).toMatchObject({ ok: true });
    const tampered = RelocationEvent.encode({ ...RelocationEvent.decode(value), event: 'referral.employed' }).finish();
    expect(await verifyReferralEvent({ signature: row.signature, value: tampered }, jwks, registry.document.gatewayId)).toEqual({ ok: false, detail: 'value_sha256 does not match the value' });
    expect(await verifyReferralEvent({ signature: undefined, value }, jwks, registry.document.gatewayId)).toMatchObject({ ok: false });
    expect(await verifyReferralEvent({ signature: row.signature, value }, jwks, 'another-gateway')).toEqual({ ok: false, detail: 'iss is not the gateway' });
    const { generateKeyPair, exportJWK } = await import('jose');
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await (await import('@passerelle/messaging')).signReferralEvent({ iss: registry.document.gatewayId, kid: jwks.keys[0].kid!, key: other.privateKey }, 'x', value);
    expect(await verifyReferralEvent({ signature: forged, value }, jwks, registry.document.gatewayId)).toEqual({ ok: false, detail: 'signature does not verify' });
    expect(await verifyReferralEvent({ signature: forged, value }, { keys: [{ ...(await exportJWK(other.publicKey)), kid: 'other' }] }, registry.document.gatewayId)).toMatchObject({ ok: false });
    // Forged onto the real topic, it is refused by the consumer's verifier and never decoded as an event.
    const kafka = createKafka(kafkaBrokers().split(','), uniqueName('forger'));
    const producer = createReliableProducer(kafka);
    await producer.connect();
    await producer.send({ topic, messages: [{ key: `forged-${referral}`, value: Buffer.from(tampered), headers: { event: 'referral.employed', [REFERRAL_EVENT_SIGNATURE_HEADER]: row.signature } }] });
    await producer.disconnect();
    await eventually(() => refused.some((r) => r.key === `forged-${referral}`), 60_000, () => 'the forged event was not seen');
    expect(refused).toContainEqual({ key: `forged-${referral}`, detail: 'value_sha256 does not match the value' });
    expect(published.some((p) => p.key === `forged-${referral}`)).toBe(false);
  });
});
