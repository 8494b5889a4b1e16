import { createHash } from 'node:crypto';
import { fromAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import {
  HEADER_AGENCY,
  HEADER_SIGNATURE,
  headerString,
  JobMatchEvent,
  validateJobMatchEvent,
  verifyJobMatchSignature,
  type DeadLetterCode,
  type PublisherDirectory,
  type PublisherKey,
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

  const sig = await verifyJobMatchSignature(
    { agency: headerString(message.headers, HEADER_AGENCY), signature: headerString(message.headers, HEADER_SIGNATURE), value },
    deps.publishers,
    deps.importKey,
  );
  if (!sig.ok) return fail(sig.code, sig.detail);
  const who = { agency: sig.agency, kid: sig.kid, eventId: sig.eventId };

  if (message.value === null || message.value.length === 0) return fail('undecodable', 'the message has no value', who);
  let event: JobMatchEvent;
  try {
    event = JobMatchEvent.decode(value);
  } catch {
    return fail('undecodable', 'the value is not a passerelle.jobbank.v1.JobMatchEvent', who);
  }
  if (event.eventId !== sig.eventId) return fail('bad_signature', 'event_id in the signature does not match the event', who);
  const problems = validateJobMatchEvent(event);
  if (problems.length > 0) return fail('invalid_field', problems.map((p) => p.problem).join('; '), who);
  if (message.key === null || message.key.toString('utf8') !== event.pseudonym) {
    return fail('invalid_field', 'the message key must be the event pseudonym', who);
  }
  const subject = fromAgencyPseudonym(deps.keyring, sig.agency, event.pseudonym);
  if (!subject) return fail('unknown_pseudonym', 'the pseudonym is not one the gateway issued to this publisher', who);
  return { ok: true, agency: sig.agency, kid: sig.kid, event, subject, valueSha256 };
}
