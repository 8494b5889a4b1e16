import { isInternalId } from '@passerelle/crypto';
import { canonicalText, type consentAudit, type LedgerEntryJson } from '@passerelle/contracts';
import type { EntryToSequence } from '@passerelle/persistence';
import { InvalidArgument } from './ledger-errors';

/** Ledger entry `seq` (docs/contract.md §5): the object whose JCS text is hashed into leaf `seq`. */
export type { LedgerEntryJson };

/** What a caller asks to record, validated (subjects and fields sorted and de-duplicated). */
export type ValidEntryInput = Omit<LedgerEntryJson, 'seq' | 'time'>;

export const MAX_SUBJECTS = 10_000;
export const MAX_FIELDS = 200;
/** most agreement ids, legal bases or consent ids one entry names */
export const MAX_BASIS = 1_000;

const AGENCY = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const TOKEN = /^[A-Za-z0-9._:-]{0,128}$/;
/**
 * The jti of an entry is either a signed request's jti (docs/contract.md §3: base64url) or a job-match
 * event id (§6: 1–128 of A-Z a-z 0-9 . _ : -): the union, so every exchange the contract allows can
 * be recorded under its own id (a narrower rule here refused valid events and stalled their partition).
 */
const JTI = /^[A-Za-z0-9._:-]{0,128}$/;
const PURPOSE = /^[A-Z][A-Z_]{0,39}$/;
const REASON = /^[A-Za-z0-9_.:-]{1,100}$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SHA256_B64U = /^[A-Za-z0-9_-]{43}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// As the registry allows them (registry.schema.json): any text without control characters.
const AGREEMENT_ID = /^[^\u0000-\u001f\u007f]{1,128}$/u;
const CONSENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A citation such as "Immigration and Refugee Protection Act s. 8": one line of text.
const LEGAL_BASIS = /^[^\u0000-\u001f\u007f]{1,1000}$/u;
const PROGRAM_VERSION = /^[a-z0-9][a-z0-9-]{1,63}@[0-9a-f]{64}$/;
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

  const basis = legalBasisOf(input, decision);

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
    ...basis,
  };
}

type LegalBasisMembers = Pick<LedgerEntryJson, 'agreements' | 'legal_basis' | 'consents' | 'program_version' | 'registry_version' | 'rule'>;

/** The optional legal-basis members (§5), each only when set; lists sorted and de-duplicated. */
function legalBasisOf(input: consentAudit.AuditEntryInput, decision: 'PERMIT' | 'DENY'): LegalBasisMembers {
  const list = (name: 'agreements' | 'legalBasis' | 'consents', wire: string, rule: RegExp, what: string): string[] | undefined => {
    const v = input[name] ?? [];
    if (!Array.isArray(v)) throw new InvalidArgument(`entry.${wire} must be a list`);
    if (v.length > MAX_BASIS) throw new InvalidArgument(`entry.${wire} has ${v.length} items; at most ${MAX_BASIS}`);
    v.forEach((x, i) => {
      if (typeof x !== 'string' || !rule.test(x)) throw new InvalidArgument(`entry.${wire}[${i}] is not ${what}`);
    });
    return v.length > 0 ? [...new Set(v)].sort() : undefined;
  };
  const text = (name: 'programVersion' | 'registryVersion' | 'rule', wire: string, rule: RegExp, what: string): string | undefined => {
    const v = input[name] ?? '';
    if (typeof v !== 'string') throw new InvalidArgument(`entry.${wire} must be a string`);
    if (v !== '' && !rule.test(v)) throw new InvalidArgument(`entry.${wire} must be ${what} or empty`);
    return v === '' ? undefined : v;
  };
  const out: LegalBasisMembers = {};
  const agreements = list('agreements', 'agreements', AGREEMENT_ID, 'an agreement id (1 to 128 characters, no control character)');
  const legalBasis = list('legalBasis', 'legal_basis', LEGAL_BASIS, 'a legal basis reference (1 to 1000 characters, no control character)');
  const consents = list('consents', 'consents', CONSENT_ID, 'a consent id (a lowercase UUID)');
  const programVersion = text('programVersion', 'program_version', PROGRAM_VERSION, '"<program id>@<64 hex digits>"');
  const registryVersion = text('registryVersion', 'registry_version', SHA256_HEX, 'a SHA-256 in lowercase hex (64 digits)');
  const rule = text('rule', 'rule', REASON, 'a rule name (1 to 100 letters, digits, ".", "_", ":", "-")');
  if (rule !== undefined && decision !== 'DENY') throw new InvalidArgument('entry.rule names the rule that refused: only a DENY carries one');
  if (agreements) out.agreements = agreements;
  if (legalBasis) out.legal_basis = legalBasis;
  if (consents) out.consents = consents;
  if (programVersion) out.program_version = programVersion;
  if (registryVersion) out.registry_version = registryVersion;
  if (rule) out.rule = rule;
  return out;
}

/**
 * What the ledger adds on its own: the registry version in force when the caller named none, and
 * for a DENY without a rule, its reason as the rule (so every DENY names what refused).
 */
export function stampEntry(input: ValidEntryInput, registryVersion: string | undefined): ValidEntryInput {
  const out = { ...input };
  if (!out.registry_version && registryVersion) out.registry_version = registryVersion;
  if (out.decision === 'DENY' && !out.rule) out.rule = out.reason;
  return out;
}

/** The entry that records a registry load or reload: no caller, no subject, the version it put in force; request_id names the app. */
export function registryEntry(operation: 'registry:load' | 'registry:reload', registryVersion: string): ValidEntryInput {
  return {
    agency: '',
    kid: '',
    jti: '',
    purpose: '',
    operation,
    decision: 'PERMIT',
    reason: 'ok',
    subjects: [],
    fields: [],
    request_sha256: '',
    response_sha256: '',
    request_id: 'consent-audit',
    registry_version: registryVersion,
  };
}

/** The members an entry may have, in JCS order (UTF-16 code units; all ASCII): how buildEntry inserts them. */
const ENTRY_KEYS_JCS_ORDER = [
  'agency',
  'agreements',
  'consents',
  'decision',
  'fields',
  'jti',
  'kid',
  'legal_basis',
  'operation',
  'program_version',
  'purpose',
  'reason',
  'registry_version',
  'request_id',
  'request_sha256',
  'response_sha256',
  'rule',
  'seq',
  'subjects',
  'time',
] as const satisfies ReadonlyArray<keyof LedgerEntryJson>;

/**
 * The entry object and its canonical (RFC 8785) text, the exact bytes of leaf `seq`. Members are
 * inserted in JCS order, so the text is JSON.stringify's (canonicalText checks the order and falls
 * back to a full canonicalisation if it is ever not: the bytes never depend on this shortcut).
 */
export function buildEntry(seq: number, time: string, input: ValidEntryInput): { entry: LedgerEntryJson; canonical: string } {
  const entry: Record<string, unknown> = {};
  for (const k of ENTRY_KEYS_JCS_ORDER) {
    // Optional members only when present: an entry without them is byte-for-byte the old shape.
    const value = k === 'seq' ? seq : k === 'time' ? time : input[k];
    if (value !== undefined) entry[k] = value;
  }
  return { entry: entry as unknown as LedgerEntryJson, canonical: canonicalText(entry) };
}

/** The one place the seq sits in every canonical entry: JCS orders the keys, "rule" < "seq" < "subjects". */
const SEQ_MARK = ',"seq":0,"subjects":';

/**
 * The canonical text of the entry around its seq, for a seq not known yet: `prefix + seq + suffix`
 * is exactly `buildEntry(seq, time, input).canonical` (JCS writes a safe integer as its decimal
 * digits, and every member but `seq` is independent of it). ledger_sequence_entries() joins them
 * once the counter gave the seq, in the statement that commits the entry.
 */
export function entryTemplate(time: string, input: ValidEntryInput): { prefix: string; suffix: string } {
  const { canonical } = buildEntry(0, time, input);
  // Quotes inside string values are escaped, so the unescaped marker is the member itself.
  const at = canonical.indexOf(SEQ_MARK);
  if (at < 0 || canonical.indexOf(SEQ_MARK, at + 1) >= 0) throw new Error('ledger entry template: the seq member is not where JCS puts it');
  const cut = at + ',"seq":'.length;
  return { prefix: canonical.slice(0, cut), suffix: canonical.slice(cut + 1) };
}

/** What ledger_sequence_entries() takes for one validated entry. */
export function entryToSequence(time: string, input: ValidEntryInput): EntryToSequence {
  return {
    time,
    ...entryTemplate(time, input),
    agency: input.agency,
    purpose: input.purpose,
    operation: input.operation,
    decision: input.decision,
    subjects: input.subjects,
    fields: input.fields,
  };
}

/**
 * A caller's entry as every sequencer takes it (consent-audit's Append, the gateway's exchanges,
 * the job-match consumer's events): validated, stamped with the registry version in force, cut
 * around its seq. Throws InvalidArgument for an entry the ledger refuses.
 */
export function entryToSequenceFor(time: string, input: consentAudit.AuditEntryInput | undefined, registryVersion: string | undefined): EntryToSequence {
  return entryToSequence(time, stampEntry(validateEntryInput(input), registryVersion));
}
