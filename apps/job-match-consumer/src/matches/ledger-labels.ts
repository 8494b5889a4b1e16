import { createHash } from 'node:crypto';

/** A job-match event id as the contract allows it (docs/contract.md §6): 1–128 of A-Z a-z 0-9 . _ : - */
export const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The ledger's bounds on an entry's operation and request id. */
export const MAX_OPERATION = 200;
export const MAX_REQUEST_ID = 128;

const shortHash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

/**
 * Pure: the entry's operation, `kafka:<topic>`; a topic too long for the ledger's 200 characters is
 * shortened with a hash of the whole name (never refused: a refusal would stall every event).
 */
export function operationFor(topic: string): string {
  const full = `kafka:${topic}`;
  return full.length <= MAX_OPERATION ? full : `kafka:${topic.slice(0, MAX_OPERATION - 6 - 18)}~${shortHash(topic)}`;
}

/** Pure: the entry's request id, `<topic>:<partition>:<offset>`, the topic replaced by a hash when it would not fit in 128 characters. */
export function requestIdFor(topic: string, partition: number, offset: string): string {
  const full = `${topic}:${partition}:${offset}`;
  return full.length <= MAX_REQUEST_ID ? full : `${shortHash(topic)}:${partition}:${offset}`;
}
