import { testKeyring, toAgencyPseudonym, toInternalId } from '@passerelle/crypto';
import { buildJobMatchBatchMessages, buildJobMatchMessage, encodeJobMatch, JobMatchVerifier, sampleJobMatchEvent, signerFromPrivateJwk, signJobMatch, type JobMatchSigner, type PublisherDirectory } from '@passerelle/messaging';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { checkEvent, checkMessage, checkMessages } from './event-check';
import { SignaturePool } from './signature-pool';

describe('checkEvent', () => {
  const keyring = testKeyring(7);
  const subject = toInternalId(keyring, 'CLIENT-1');
  const pseudonym = toAgencyPseudonym(keyring, 'ca.esdc', subject);
  let signer: JobMatchSigner;
  let publishers: PublisherDirectory;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const pub = { ...(await exportJWK(publicKey)), kid: 'esdc-1', alg: 'EdDSA' } as JWK;
    signer = await signerFromPrivateJwk('ca.esdc', { ...(await exportJWK(privateKey)), kid: 'esdc-1', alg: 'EdDSA' });
    publishers = { isPublisher: (a) => a === 'ca.esdc', key: (a, kid) => (a === 'ca.esdc' && kid === 'esdc-1' ? { jwk: pub, alg: 'EdDSA', status: 'active' } : undefined) };
  });

  // Every form (jose, async; the consumer's synchronous verifier; the same with the key
  // operations on worker threads) must answer the same.
  const pool = new SignaturePool(2);
  afterAll(() => pool.close());
  const check = async (m: Awaited<ReturnType<typeof buildJobMatchMessage>>) => {
    const viaJose = await checkEvent(m, { publishers, keyring });
    expect(checkMessage(m, new JobMatchVerifier(publishers), keyring)).toEqual(viaJose);
    expect(await checkMessages([m, m, m], new JobMatchVerifier(publishers), keyring, pool)).toEqual([viaJose, viaJose, viaJose]);
    return viaJose;
  };

  it('accepts a signed, valid event and translates its pseudonym to the internal id', async () => {
    const result = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym }), signer));
    expect(result).toMatchObject({ ok: true, agency: 'ca.esdc', kid: 'esdc-1', subject });
  });

  it('dead-letters a signed value that is not a JobMatchEvent as undecodable', async () => {
    const value = Buffer.from([0x0f, 0xff, 0xff]);
    const result = await check({ key: Buffer.from(pseudonym), value, headers: { 'x-agency': 'ca.esdc', 'x-signature': await signJobMatch(signer, 'e1', value) } });
    expect(result).toMatchObject({ ok: false, code: 'undecodable', agency: 'ca.esdc', eventId: 'e1' });
  });

  it('refuses an event id other than the signed one', async () => {
    const event = sampleJobMatchEvent({ pseudonym });
    const value = encodeJobMatch(event);
    const result = await check({ key: Buffer.from(pseudonym), value, headers: { 'x-agency': 'ca.esdc', 'x-signature': await signJobMatch(signer, 'another-id', value) } });
    expect(result).toMatchObject({ ok: false, code: 'bad_signature', detail: 'event_id in the signature does not match the event' });
  });

  it('refuses invalid fields and a key that is not the event pseudonym', async () => {
    const bad = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym, score: 7 }), signer));
    expect(bad).toMatchObject({ ok: false, code: 'invalid_field', detail: 'score must be a number from 0 to 1' });
    const message = await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym }), signer);
    const rekeyed = await check({ ...message, key: Buffer.from('someone-else') });
    expect(rekeyed).toMatchObject({ ok: false, code: 'invalid_field', detail: 'the message key must be the event pseudonym' });
  });

  it('dead-letters a posting language level outside 1-12 with a reason naming the field (issue 16), and accepts one inside', async () => {
    const clb = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym, posting: { minEnglishClb: 13 } }), signer));
    expect(clb).toMatchObject({ ok: false, code: 'invalid_field', detail: 'posting.minEnglishClb must be a whole CLB level from 1 to 12 when given' });
    const nclc = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym, posting: { minFrenchNclc: 0 } }), signer));
    expect(nclc).toMatchObject({ ok: false, code: 'invalid_field', detail: 'posting.minFrenchNclc must be a whole NCLC level from 1 to 12 when given' });
    const fine = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym, posting: { minEnglishClb: 12, minFrenchNclc: 1 } }), signer));
    expect(fine).toMatchObject({ ok: true, event: { posting: { minEnglishClb: 12, minFrenchNclc: 1 } } });
  });

  it("refuses another agency's pseudonym as unknown, without echoing it", async () => {
    const foreign = toAgencyPseudonym(keyring, 'qc.mifi', subject);
    const result = await check(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym: foreign }), signer));
    expect(result).toMatchObject({ ok: false, code: 'unknown_pseudonym' });
    expect(JSON.stringify(result)).not.toContain(foreign);
    expect((result as { subject?: string }).subject).toBeUndefined();
  });

  it('does not attribute an event whose signature failed to the claimed agency', async () => {
    const message = await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym }), signer);
    const result = await check({ ...message, headers: { ...message.headers, 'x-agency': 'qc.mifi' } });
    expect(result).toMatchObject({ ok: false, code: 'unknown_publisher', agency: '' });
  });

  describe('batch-signed events (§6.1)', () => {
    const batch = (n: number, batchId = 'run-1') => Array.from({ length: n }, (_, i) => sampleJobMatchEvent({ pseudonym, eventId: `b-${batchId}-${i}`, batchId }));
    const both = async (messages: Awaited<ReturnType<typeof buildJobMatchBatchMessages>>) => {
      const inline = messages.map((m) => checkMessage(m, new JobMatchVerifier(publishers), keyring));
      expect(await checkMessages(messages, new JobMatchVerifier(publishers), keyring, pool)).toEqual(inline);
      expect(await checkMessages(messages, new JobMatchVerifier(publishers), keyring)).toEqual(inline);
      return inline;
    };

    it('accepts every event of a signed batch, with the same outcome as a per-event signature', async () => {
      const events = batch(5);
      const results = await both(await buildJobMatchBatchMessages(events, signer));
      const perEvent = await Promise.all(events.map(async (e) => checkMessage(await buildJobMatchMessage(e, signer), new JobMatchVerifier(publishers), keyring)));
      expect(results).toEqual(perEvent);
      expect(results.every((r) => r.ok && r.subject === subject)).toBe(true);
    });

    it('splits a run where batchId changes: each batch id is its own signed batch', async () => {
      const messages = await buildJobMatchBatchMessages([...batch(3, 'run-a'), ...batch(2, 'run-b')], signer);
      expect(new Set(messages.map((m) => m.headers['x-batch-signature'])).size).toBe(2);
      expect((await both(messages)).every((r) => r.ok)).toBe(true);
    });

    it('checks an event carrying both kinds of signature by x-signature only', async () => {
      const [event] = batch(1);
      const [batched] = await buildJobMatchBatchMessages([event], signer);
      const single = await buildJobMatchMessage(event, signer);
      const good = { ...batched, headers: { ...batched.headers, 'x-signature': single.headers['x-signature'] } };
      expect((await both([good]))[0]).toMatchObject({ ok: true });
      const badSingle = { ...batched, headers: { ...batched.headers, 'x-signature': await signJobMatch(signer, 'other-id', batched.value) } };
      expect((await both([badSingle]))[0]).toMatchObject({ ok: false, code: 'bad_signature', detail: 'event_id in the signature does not match the event' });
    });

    it('does not attribute an undecodable batch-signed value, and refuses a value outside the batch', async () => {
      const [message] = await buildJobMatchBatchMessages(batch(2), signer);
      const [undecodable] = await both([{ ...message, value: Buffer.from([0x0f, 0xff, 0xff]) }]);
      expect(undecodable).toMatchObject({ ok: false, code: 'undecodable', agency: '', kid: '' });
      const other = encodeJobMatch(sampleJobMatchEvent({ pseudonym, eventId: 'b-run-1-0', batchId: 'run-1', score: 0.01 }));
      const [swapped] = await both([{ ...message, value: other }]);
      expect(swapped).toMatchObject({ ok: false, code: 'bad_signature', detail: 'x-batch-proof does not lead from this event to the signed root', agency: '' });
    });
  });
});
