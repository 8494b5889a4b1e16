import { createHash } from 'node:crypto';
import {
  batchTree,
  buildJobMatchBatchMessages,
  createReliableProducer,
  encodeBatchProof,
  encodeJobMatch,
  jobMatchLeaf,
  jobMatchValueSha256,
  JOB_MATCH_BATCH_JWS_TYP,
  MAX_BATCH_SIZE,
  signerFromPrivateJwk,
  type JobMatchEvent,
  type JobMatchSigner,
  type OutgoingMessage,
} from '@passerelle/messaging';
import { CompactSign } from 'jose';
import { createMatchWorld, eventually, PUBLISHER, readTopic, validEvents, type MatchWorld } from './harness';

/**
 * Batch-signed job-match events (docs/contract.md §6.1) end to end: a publisher's batch and a set
 * of forged or broken batch members through the real broker, the job-match-consumer process, the
 * DLQ and the real consent-audit's ledger. Every refusal has its own detail, is dead-lettered with
 * its headers and audited as a DENY; the valid events are stored exactly once.
 */
const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64url');
const proofOf = (m: OutgoingMessage) => m.headers['x-batch-proof'];
const jwsOf = (m: OutgoingMessage) => m.headers['x-batch-signature'];
const withHeaders = (m: OutgoingMessage, headers: Record<string, string | undefined>): OutgoingMessage => {
  const h: Record<string, string> = { ...m.headers };
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return { ...m, headers: h };
};

/** A batch JWS over chosen claims and leaves (what a buggy publisher, or a thief of its key, could send). */
async function rawBatch(signer: JobMatchSigner, events: JobMatchEvent[], claims: Partial<{ size: number; batch_id: string }> = {}): Promise<OutgoingMessage[]> {
  const values = events.map((e) => encodeJobMatch(e));
  const { root, paths } = batchTree(events.map((e, i) => jobMatchLeaf(signer.agency, e.eventId, jobMatchValueSha256(values[i]))));
  const payload = { iss: signer.agency, batch_id: events[0].batchId, size: events.length, root: root.toString('base64url'), ...claims };
  const jws = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: JOB_MATCH_BATCH_JWS_TYP }).sign(signer.key);
  return events.map((e, i) => ({ key: Buffer.from(e.pseudonym), value: values[i], headers: { 'x-agency': signer.agency, 'x-batch-signature': jws, 'x-batch-proof': encodeBatchProof(i, paths[i]) } }));
}

describe('batch-signed job-match events over Kafka', () => {
  let world: MatchWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  it('stores every valid member of a batch once, and dead-letters and audits each forged or broken member with its own reason', async () => {
    const w = (world = await createMatchWorld({ partitions: 3, subjects: 30 }));
    const signer = w.signer;
    const revokedKey = [...w.registry.keys.values()].find((k) => k.agency === PUBLISHER && k.publicJwk.status === 'revoked')!;
    const revoked = await signerFromPrivateJwk(PUBLISHER, revokedKey.privateJwk);
    const mifi = await signerFromPrivateJwk('qc.mifi', w.registry.activeKey('qc.mifi').privateJwk);
    const events = (prefix: string, n: number) => validEvents(w, n, prefix);

    const good = await buildJobMatchBatchMessages(events('good', 16), signer); // one batch of 16
    const single = await buildJobMatchBatchMessages(events('single', 1), signer); // a batch of one
    const other = await buildJobMatchBatchMessages(events('other', 16), signer); // same batch id and size, another root
    const replayed = await buildJobMatchBatchMessages(events('replay', 16), signer); // as large as `other`: same path lengths, so the root decides
    const pathless = await buildJobMatchBatchMessages(events('pathless', 3), signer);
    const tamperedSet = await buildJobMatchBatchMessages(events('tampered', 5), signer);
    const flip = (proof: string) => {
      const [index, hashes] = proof.split('.');
      const path = hashes.split('~');
      const h = Buffer.from(path[0], 'base64url');
      h[7] ^= 0x20;
      return `${index}.${[h.toString('base64url'), ...path.slice(1)].join('~')}`;
    };
    const [dupA, dupB, dupC] = events('dup', 3);
    const duplicated = await rawBatch(signer, [dupA, dupB, dupC, dupB]);
    const oversized = await rawBatch(signer, events('huge', 2), { size: MAX_BATCH_SIZE + 1 });

    const bad: Array<{ message: OutgoingMessage; code: string; detail: string }> = [
      // an event moved from its batch into another (same batch id): its path leads to its own root
      { message: withHeaders(other[2], { 'x-batch-signature': jwsOf(good[0]) }), code: 'bad_signature', detail: 'x-batch-proof does not lead from this event to the signed root' },
      // a path that does not lead to the signed root
      { message: withHeaders(tamperedSet[3], { 'x-batch-proof': flip(proofOf(tamperedSet[3])) }), code: 'bad_signature', detail: 'x-batch-proof does not lead from this event to the signed root' },
      // a batch signed by a key of another agency, and by a revoked key of the publisher
      ...(await buildJobMatchBatchMessages(events('mifi', 2), mifi)).map((m) => ({ message: withHeaders(m, { 'x-agency': PUBLISHER }), code: 'unknown_key', detail: 'kid is not a key of the publisher' })),
      ...(await buildJobMatchBatchMessages(events('revoked', 2), revoked)).map((m) => ({ message: m, code: 'unknown_key', detail: 'key is revoked' })),
      // a signed root replayed over another event set (with the paths of that set's own tree)
      ...replayed.map((m) => ({ message: withHeaders(m, { 'x-batch-signature': jwsOf(other[0]) }), code: 'bad_signature', detail: 'x-batch-proof does not lead from this event to the signed root' })),
      // a batch header and no path
      { message: withHeaders(pathless[1], { 'x-batch-proof': undefined }), code: 'bad_signature', detail: 'x-batch-signature without x-batch-proof' },
      // a batch larger than the bound
      { message: oversized[0], code: 'bad_signature', detail: `batch size ${MAX_BATCH_SIZE + 1} exceeds ${MAX_BATCH_SIZE}` },
      // an event id at two leaves of one signed batch: the second is refused
      { message: duplicated[3], code: 'bad_signature', detail: 'event_id is at leaf 1 of this batch already' },
    ];
    const valid = [...good, ...single, ...other.filter((_, i) => i !== 2), ...pathless.filter((_, i) => i !== 1), ...tamperedSet.filter((_, i) => i !== 3), ...duplicated.slice(0, 3)];
    // Same pseudonym, same partition: the duplicate leaf comes after the first, as a publisher sends them.
    const producer = createReliableProducer(w.kafka);
    await producer.connect();
    // the valid members, one exact redelivery of a member, then the bad ones
    await producer.send({ topic: w.topic, acks: -1, messages: [...valid, good[5], ...bad.map((b) => b.message)] });
    await producer.disconnect();

    const consumer = await w.startConsumer();
    const admin = w.admin;
    const caughtUp = async () => {
      const ends = await admin.fetchTopicOffsets(w.topic);
      const [committed] = await admin.fetchOffsets({ groupId: w.group, topics: [w.topic] });
      const at = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
      return ends.every((e) => at.get(e.partition) === e.offset);
    };
    await eventually(caughtUp, 60_000, async () => `matches=${await w.count('SELECT count(*) AS n FROM job_matches')}`);

    // Valid members stored exactly once (the redelivered one too), every one audited.
    expect(await w.count('SELECT count(*) AS n FROM job_matches')).toBe(valid.length);
    expect(await w.count('SELECT count(DISTINCT event_id) AS n FROM job_matches')).toBe(valid.length);
    expect(await w.count('SELECT count(*) AS n FROM processed_events WHERE ledger_seq IS NULL')).toBe(0);

    // Every bad member in the DLQ unchanged, with its own code and detail and its batch headers.
    const letters = await readTopic(w.kafka, w.dlq, bad.length);
    expect(letters).toHaveLength(bad.length);
    const byValue = new Map(bad.map((b) => [sha(b.message.value), b]));
    for (const letter of letters) {
      const original = byValue.get(sha(letter.value))!;
      expect(original).toBeDefined();
      expect({ code: letter.headers['x-error-code']?.toString(), detail: letter.headers['x-error-detail']?.toString() }).toEqual({ code: original.code, detail: original.detail });
      expect(letter.headers['x-batch-signature']?.toString()).toBe(original.message.headers['x-batch-signature']);
      expect(letter.headers['x-batch-proof']?.toString()).toBe(original.message.headers['x-batch-proof']);
    }

    // The ledger: one PERMIT per stored event (kid of the batch key), one DENY per dead letter.
    const entries = await w.consentAudit.entries();
    const permits = entries.filter((e) => e.decision === 'PERMIT');
    expect(permits).toHaveLength(valid.length);
    expect(new Set(permits.map((e) => e.jti)).size).toBe(valid.length);
    expect(new Set(permits.map((e) => e.kid))).toEqual(new Set([signer.kid]));
    expect(permits.map((e) => e.request_sha256).sort()).toEqual(valid.map((m) => jobMatchValueSha256(m.value)).sort());
    const denies = entries.filter((e) => e.decision === 'DENY');
    expect(denies.map((e) => e.reason).sort()).toEqual(bad.map((b) => b.code).sort());

    const metrics = await (await fetch(`${consumer.probeUrl}/metrics`)).text();
    expect(metrics).toMatch(/passerelle_job_matches_duplicates_total\{[^}]*\} 1\n/);
  });
});
