import * as jobbank from './job-match.proto';
import type { IHeaders } from 'kafkajs';
import { signJobMatchBatch } from './job-match.batch';
import { MAX_BATCH_SIZE } from './job-match.batch-tree';
import { HEADER_AGENCY, HEADER_BATCH_PROOF, HEADER_BATCH_SIGNATURE, HEADER_ERROR_CODE, HEADER_ERROR_DETAIL, HEADER_SIGNATURE, signJobMatch, type JobMatchSigner } from './job-match.signature';

export interface OutgoingMessage {
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
}

export function encodeJobMatch(event: jobbank.JobMatchEvent): Buffer {
  return Buffer.from(jobbank.JobMatchEvent.encode(event).finish());
}

/** One Kafka message for an event: key = the publisher's pseudonym, value = protobuf, signed headers. */
export async function buildJobMatchMessage(event: jobbank.JobMatchEvent, signer: JobMatchSigner): Promise<OutgoingMessage> {
  const value = encodeJobMatch(event);
  return {
    key: Buffer.from(event.pseudonym, 'utf8'),
    value,
    headers: { [HEADER_AGENCY]: signer.agency, [HEADER_SIGNATURE]: await signJobMatch(signer, event.eventId, value) },
  };
}

/**
 * Kafka messages for events signed by batch (§6.1): each run of consecutive events with the same
 * batchId (at most MAX_BATCH_SIZE) is one signed batch; every message carries the batch JWS and
 * its own inclusion proof instead of `x-signature`. Same keys and values as `buildJobMatchMessage`.
 */
export async function buildJobMatchBatchMessages(events: readonly jobbank.JobMatchEvent[], signer: JobMatchSigner): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  for (let start = 0; start < events.length; ) {
    let end = start + 1;
    while (end < events.length && end - start < MAX_BATCH_SIZE && events[end].batchId === events[start].batchId) end++;
    const run = events.slice(start, end).map((event) => ({ event, eventId: event.eventId, value: encodeJobMatch(event) }));
    const signed = await signJobMatchBatch(signer, events[start].batchId, run);
    run.forEach(({ event, value }, i) =>
      out.push({
        key: Buffer.from(event.pseudonym, 'utf8'),
        value,
        headers: { [HEADER_AGENCY]: signer.agency, [HEADER_BATCH_SIGNATURE]: signed.signature, [HEADER_BATCH_PROOF]: signed.proofs[i] },
      }),
    );
    start = end;
  }
  return out;
}

/** A header value as a string (kafkajs gives Buffers, or arrays when a header repeats: the first wins). */
export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** Error codes a dead-lettered job-match event may carry in `x-error-code`. */
export const DEAD_LETTER_CODES = [
  'undecodable',
  'bad_signature',
  'unknown_key',
  'unknown_publisher',
  'unknown_pseudonym',
  'consent_missing',
  'invalid_field',
  // consent-audit refused this event's call for good (its gRPC status), while it answers others
  'refused_invalid_argument',
  'refused_failed_precondition',
  'refused_permission_denied',
  'refused_not_found',
  'refused_already_exists',
  'refused_out_of_range',
  'refused_unimplemented',
  'refused_unauthenticated',
  // the event kept failing longer than the consumer's bound while its dependencies answered
  'held_too_long',
] as const;
export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];

/**
 * The DLQ copy of a consumed message: same key, same value bytes, every original header,
 * plus `x-error-code` and `x-error-detail` (replacing any such header the original carried).
 */
export function deadLetterMessage(
  original: { key: Buffer | null; value: Buffer | null; headers?: IHeaders },
  code: DeadLetterCode,
  detail: string,
): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(original.headers ?? {})) {
    if (k === HEADER_ERROR_CODE || k === HEADER_ERROR_DETAIL || v === undefined) continue;
    headers[k] = v;
  }
  headers[HEADER_ERROR_CODE] = code;
  headers[HEADER_ERROR_DETAIL] = detail.slice(0, 500);
  return { key: original.key, value: original.value, headers };
}
