import { canonicalize } from 'json-canonicalize';
import { isInternalId } from '@passerelle/crypto';
import type { consentAudit, LedgerEntryJson } from '@passerelle/contracts';
import { InvalidArgument } from './ledger-errors';

/** Ledger entry `seq` (CONTRACT.md §5): the object whose JCS text is hashed into leaf `seq`. */
export type { LedgerEntryJson };

/** What a caller asks to record, validated (subjects and fields sorted and de-duplicated). */
export type ValidEntryInput = Omit<LedgerEntryJson, 'seq' | 'time'>;

export const MAX_SUBJECTS = 10_000;
export const MAX_FIELDS = 200;

const AGENCY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const TOKEN = /^[A-Za-z0-9._:-]{0,128}$/;
/**
 * The jti of an entry is either a signed request's jti (CONTRACT.md §3: base64url) or a job-match
 * event id (§6: 1–128 of A-Z a-z 0-9 . _ : -): the union, so every exchange the contract allows can
 * be recorded under its own id (a narrower rule here refused valid events and stalled their partition).
 */
const JTI = /^[A-Za-z0-9._:-]{0,128}$/;
const PURPOSE = /^[A-Z][A-Z_]{0,39}$/;
const REASON = /^[A-Za-z0-9_.:-]{1,100}$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SHA256_B64U = /^[A-Za-z0-9_-]{43}$/;
// Printable, no control characters: "graphql:claimant", "rest:GET /audit/sth", "kafka:jobbank.matches.v1".
const OPERATION = /^[\x20-\x7e]{1,200}$/;

/**
 * Validates an Append request. Messages name the offending field but never echo its value:
 * a caller's mistake must not copy a raw identifier into a log or an error.
 */
export function validateEntryInput(input: consentAudit.AuditEntryInput | undefined): ValidEntryInput {
  if (!input) throw new InvalidArgument('entry is missing');
  const str = (name: keyof consentAudit.AuditEntryInput): string => {
    const v = input[name];
    if (typeof v !== 'string') throw new InvalidArgument(`entry.${name} must be a string`);
    return v;
  };
  const agency = str('agency');
  if (agency !== '' && !AGENCY.test(agency)) throw new InvalidArgument('entry.agency must be an agency id (lowercase letters, digits, ".", "_", "-"; at most 128) or empty when the caller could not be attributed');
  const kid = str('kid');
  if (!TOKEN.test(kid)) throw new InvalidArgument('entry.kid must be at most 128 characters among letters, digits, ".", "_", ":", "-"');
  const jti = str('jti');
  if (!JTI.test(jti)) throw new InvalidArgument('entry.jti must be at most 128 characters among letters, digits, ".", "_", ":", "-" (a request jti or an event id)');
  const purpose = str('purpose');
  if (purpose !== '' && !PURPOSE.test(purpose)) throw new InvalidArgument('entry.purpose must be a purpose name in capitals (e.g. JOB_MATCHING) or empty');
  const operation = str('operation');
  if (!OPERATION.test(operation)) throw new InvalidArgument('entry.operation is required: 1 to 200 printable ASCII characters');
  const decision = str('decision');
  if (decision !== 'PERMIT' && decision !== 'DENY') throw new InvalidArgument('entry.decision must be PERMIT or DENY');
  const reason = str('reason');
  if (!REASON.test(reason)) throw new InvalidArgument('entry.reason is required: "ok" or an error code (1 to 100 letters, digits, ".", "_", ":", "-")');
  const requestSha = str('requestSha256');
  if (requestSha !== '' && !SHA256_B64U.test(requestSha)) throw new InvalidArgument('entry.request_sha256 must be a base64url SHA-256 (43 characters, no padding) or empty');
  const responseSha = str('responseSha256');
  if (responseSha !== '' && !SHA256_B64U.test(responseSha)) throw new InvalidArgument('entry.response_sha256 must be a base64url SHA-256 (43 characters, no padding) or empty');
  const requestId = str('requestId');
  if (!TOKEN.test(requestId)) throw new InvalidArgument('entry.request_id must be at most 128 characters among letters, digits, ".", "_", ":", "-"');

  const subjects = input.subjects ?? [];
  if (!Array.isArray(subjects)) throw new InvalidArgument('entry.subjects must be a list');
  if (subjects.length > MAX_SUBJECTS) throw new InvalidArgument(`entry.subjects has ${subjects.length} items; at most ${MAX_SUBJECTS}`);
  subjects.forEach((s, i) => {
    if (typeof s !== 'string' || !isInternalId(s)) throw new InvalidArgument(`entry.subjects[${i}] is not a gateway-internal id (i_ followed by 22 base64url characters)`);
  });
  const fields = input.fields ?? [];
  if (!Array.isArray(fields)) throw new InvalidArgument('entry.fields must be a list');
  if (fields.length > MAX_FIELDS) throw new InvalidArgument(`entry.fields has ${fields.length} items; at most ${MAX_FIELDS}`);
  fields.forEach((f, i) => {
    if (typeof f !== 'string' || !FIELD.test(f)) throw new InvalidArgument(`entry.fields[${i}] is not a field name (a letter, then letters, digits or "_"; at most 64)`);
  });

  return {
    agency,
    kid,
    jti,
    purpose,
    operation,
    decision,
    reason,
    // Sets, recorded in one order so that equal exchanges give equal entries.
    subjects: [...new Set(subjects)].sort(),
    fields: [...new Set(fields)].sort(),
    request_sha256: requestSha,
    response_sha256: responseSha,
    request_id: requestId,
  };
}

/** The entry object and its canonical (RFC 8785) text, the exact bytes of leaf `seq`. */
export function buildEntry(seq: number, time: string, input: ValidEntryInput): { entry: LedgerEntryJson; canonical: string } {
  const entry: LedgerEntryJson = {
    seq,
    time,
    agency: input.agency,
    kid: input.kid,
    jti: input.jti,
    purpose: input.purpose,
    operation: input.operation,
    decision: input.decision,
    reason: input.reason,
    subjects: input.subjects,
    fields: input.fields,
    request_sha256: input.request_sha256,
    response_sha256: input.response_sha256,
    request_id: input.request_id,
  };
  return { entry, canonical: canonicalize(entry) };
}
