import { createHash } from 'node:crypto';
import { fromAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import {
  HEADER_AGENCY,
  HEADER_BATCH_PROOF,
  HEADER_BATCH_SIGNATURE,
  HEADER_SIGNATURE,
  headerString,
  JobMatchEvent,
  jobMatchValueSha256,
  validateJobMatchEvent,
  verifyJobMatchSignature,
  type DeadLetterCode,
  type JobMatchVerifier,
  type PendingBatchMember,
  type PendingSignature,
  type PublisherDirectory,
  type PublisherKey,
  type SignatureCheck,
} from '@passerelle/messaging';
import type { IHeaders } from 'kafkajs';

export interface IncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export type CheckedEvent =
  | { ok: true; agency: string; kid: string; event: JobMatchEvent; subject: string; valueSha256: string }
  | {
      ok: false;
      code: DeadLetterCode;
      /** never holds a raw identifier (nor the publisher's pseudonym) */
      detail: string;
      /** set only once the signature verified: an unverified x-agency is not attributed */
      agency: string;
      kid: string;
      eventId: string;
      /** the internal id, when the pseudonym translated (consent_missing) */
      subject?: string;
      valueSha256: string;
    };

export interface CheckDeps {
  publishers: PublisherDirectory;
  keyring: PseudonymKeyring;
  importKey?: (k: PublisherKey) => Promise<Uint8Array | import('jose').KeyLike>;
}

/**
 * Everything that can be checked about one message without consent-audit or the database, in
 * this order: signature (x-agency a publisher, x-signature by its active key over these value
 * bytes), protobuf decoding, event id = the signed one, field rules, Kafka key = the event's
 * pseudonym, pseudonym translation. The first failure gives the dead-letter code.
 */
export async function checkEvent(message: IncomingMessage, deps: CheckDeps): Promise<CheckedEvent> {
  const value = message.value ?? Buffer.alloc(0);
  const valueSha256 = createHash('sha256').update(value).digest('base64url');
  const sig = await verifyJobMatchSignature(
    { agency: headerString(message.headers, HEADER_AGENCY), signature: headerString(message.headers, HEADER_SIGNATURE), value },
    deps.publishers,
    deps.importKey,
  );
  return afterSignature(message, value, valueSha256, sig, deps.keyring);
}

/**
 * The same checks as `checkEvent`, synchronously, with a JobMatchVerifier (keys imported once per
 * agency and kid): the consumer's hot path, run in a tight loop over a chunk.
 */
export function checkMessage(message: IncomingMessage, verifier: JobMatchVerifier, keyring: PseudonymKeyring): CheckedEvent {
  const value = message.value ?? Buffer.alloc(0);
  const valueSha256 = jobMatchValueSha256(value);
  const batched = batchSigned(message, verifier);
  if (batched) return afterSignature(message, value, valueSha256, batched, keyring);
  const sig = verifier.verify({ agency: headerString(message.headers, HEADER_AGENCY), signature: headerString(message.headers, HEADER_SIGNATURE), valueSha256 });
  return afterSignature(message, value, valueSha256, sig, keyring);
}

/**
 * `checkMessage` over a chunk, with the public-key operations run by `pool` (worker threads) when
 * given; if the pool fails, inline. Same answers, in order.
 */
export async function checkMessages(
  messages: readonly IncomingMessage[],
  verifier: JobMatchVerifier,
  keyring: PseudonymKeyring,
  pool?: { verify(items: PendingSignature[]): Promise<boolean[]> },
): Promise<CheckedEvent[]> {
  if (!pool) return messages.map((m) => checkMessage(m, verifier, keyring));
  const staged = messages.map((message) => {
    const value = message.value ?? Buffer.alloc(0);
    const valueSha256 = jobMatchValueSha256(value);
    // a batch signature costs one key operation per batch (cached): checked here, not on a worker
    const batched = batchSigned(message, verifier);
    if (batched) return { message, value, valueSha256, batched };
    const input = { agency: headerString(message.headers, HEADER_AGENCY), signature: headerString(message.headers, HEADER_SIGNATURE), valueSha256 };
    return { message, value, valueSha256, input, prepared: verifier.prepare(input) };
  });
  const pending = staged.filter((s) => s.prepared && !s.prepared.done);
  let verified: boolean[] | undefined;
  try {
    verified = await pool.verify(pending.map((s) => s.prepared as PendingSignature));
  } catch {
    verified = undefined; // a worker failed: verify inline below
  }
  let next = 0;
  return staged.map((s) => {
    if (s.batched) return afterSignature(s.message, s.value, s.valueSha256, s.batched, keyring);
    let sig: SignatureCheck;
    if (s.prepared!.done) sig = s.prepared!.done;
    else if (verified) sig = verifier.finish(s.prepared!, verified[next++]);
    else sig = verifier.verify(s.input!);
    return afterSignature(s.message, s.value, s.valueSha256, sig, keyring);
  });
}

/**
 * §6.1: an event with `x-batch-signature` and no `x-signature` is checked against its batch (an
 * event carrying both is checked by `x-signature`). Undefined when it is not batch-signed.
 */
function batchSigned(message: IncomingMessage, verifier: JobMatchVerifier): SignatureCheck | BatchSigned | undefined {
  if (headerString(message.headers, HEADER_SIGNATURE) !== undefined) return undefined;
  const batchSignature = headerString(message.headers, HEADER_BATCH_SIGNATURE);
  if (batchSignature === undefined) return undefined;
  const prepared = verifier.prepareBatch({ agency: headerString(message.headers, HEADER_AGENCY), batchSignature, batchProof: headerString(message.headers, HEADER_BATCH_PROOF) });
  return prepared.done ? prepared.done : { member: prepared, verifier };
}

/** A batch-signed event whose batch JWS verified: the leaf is bound once the value is decoded. */
interface BatchSigned {
  member: PendingBatchMember;
  verifier: JobMatchVerifier;
}

function afterSignature(message: IncomingMessage, value: Buffer, valueSha256: string, signed: SignatureCheck | BatchSigned, keyring: PseudonymKeyring): CheckedEvent {
  const fail = (code: DeadLetterCode, detail: string, extra: Partial<Extract<CheckedEvent, { ok: false }>> = {}): CheckedEvent => ({
    ok: false,
    code,
    detail,
    agency: '',
    kid: '',
    eventId: '',
    valueSha256,
    ...extra,
  });
  let sig: SignatureCheck;
  let event: JobMatchEvent;
  if ('member' in signed) {
    // The batch vouches for leaves, not for these bytes, until the decoded event is bound to a
    // leaf: an undecodable value is not attributed to the batch's publisher.
    if (message.value === null || message.value.length === 0) return fail('undecodable', 'the message has no value');
    try {
      event = JobMatchEvent.decode(value);
    } catch {
      return fail('undecodable', 'the value is not a passerelle.jobbank.v1.JobMatchEvent');
    }
    sig = signed.verifier.finishBatch(signed.member, event, valueSha256);
    if (!sig.ok) return fail(sig.code, sig.detail);
  } else {
    sig = signed;
    if (!sig.ok) return fail(sig.code, sig.detail);
    const who = { agency: sig.agency, kid: sig.kid, eventId: sig.eventId };
    if (message.value === null || message.value.length === 0) return fail('undecodable', 'the message has no value', who);
    try {
      event = JobMatchEvent.decode(value);
    } catch {
      return fail('undecodable', 'the value is not a passerelle.jobbank.v1.JobMatchEvent', who);
    }
    if (event.eventId !== sig.eventId) return fail('bad_signature', 'event_id in the signature does not match the event', who);
  }
  const who = { agency: sig.agency, kid: sig.kid, eventId: sig.eventId };
  const problems = validateJobMatchEvent(event);
  if (problems.length > 0) return fail('invalid_field', problems.map((p) => p.problem).join('; '), who);
  if (message.key === null || message.key.toString('utf8') !== event.pseudonym) {
    return fail('invalid_field', 'the message key must be the event pseudonym', who);
  }
  const subject = fromAgencyPseudonym(keyring, sig.agency, event.pseudonym);
  if (!subject) return fail('unknown_pseudonym', 'the pseudonym is not one the gateway issued to this publisher', who);
  return { ok: true, agency: sig.agency, kid: sig.kid, event, subject, valueSha256 };
}
