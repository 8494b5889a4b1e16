/**
 * Query parameters of the /audit REST routes (docs/contract.md §5), checked before the ledger is
 * asked. Pure; each refusal names the parameter (values are not echoed).
 */
export class AuditBadRequest extends Error {
  /** the contract error code answered with HTTP 400 */
  constructor(message: string, readonly code = 'bad_request') {
    super(message);
    this.name = 'AuditBadRequest';
  }
}

export const MAX_ENTRIES_PER_PAGE = 1000;

type Query = Record<string, unknown> | undefined;

/** A required whole-number query parameter (digits only, at most 2^53 - 1). */
export function wholeParam(query: Query, name: string): number {
  const raw = query?.[name];
  if (raw === undefined || raw === '') throw new AuditBadRequest(`query parameter ${name} is required`);
  if (Array.isArray(raw)) throw new AuditBadRequest(`query parameter ${name} is given more than once`);
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new AuditBadRequest(`query parameter ${name} must be a whole number ≥ 0`);
  }
  return Number(raw);
}

/** GET /audit/checkpoint: tree_size is optional (absent: the latest checkpoint). */
export function checkpointParams(query: Query): { treeSize: number } {
  return { treeSize: query?.tree_size === undefined ? 0 : wholeParam(query, 'tree_size') };
}

export function entriesRange(query: Query): { start: number; end: number } {
  const start = wholeParam(query, 'start');
  const end = wholeParam(query, 'end');
  if (end < start) throw new AuditBadRequest('query parameter end must not be less than start');
  if (end - start + 1 > MAX_ENTRIES_PER_PAGE) throw new AuditBadRequest(`query parameters start and end span ${end - start + 1} entries; at most ${MAX_ENTRIES_PER_PAGE} per request`);
  return { start, end };
}

export function inclusionParams(query: Query): { seq: number; treeSize: number } {
  const seq = wholeParam(query, 'seq');
  const treeSize = wholeParam(query, 'tree_size');
  if (treeSize <= seq) throw new AuditBadRequest('query parameter tree_size must be greater than seq');
  return { seq, treeSize };
}

export function consistencyParams(query: Query): { first: number; second: number } {
  const first = wholeParam(query, 'first');
  const second = wholeParam(query, 'second');
  if (first < 1) throw new AuditBadRequest('query parameter first must be at least 1');
  if (second < first) throw new AuditBadRequest('query parameter second must not be less than first');
  return { first, second };
}
