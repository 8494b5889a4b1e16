import { createPublicKey } from 'node:crypto';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { findNodeAtLocation, parse as parseJsonc, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import registrySchema from '../../../infra/registry/registry.schema.json';
import { KEY_ALGORITHMS, type RegistryDocument, type RegistryProblem } from './types';
import { programProblems } from '@passerelle/policy';
import { parseVkey, SIG_COSIGNATURE_V1 } from '@passerelle/checkpoint';

export { registrySchema };

const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile(registrySchema);

/** JWK members that only a private key has: the registry must never hold them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export interface RegistryCheckResult {
  /** set only when there is no problem at all */
  registry?: RegistryDocument;
  problems: RegistryProblem[];
}

/**
 * Checks the text of a registry file: JSON syntax (with line and column), the JSON Schema
 * (infra/registry/registry.schema.json) and the rules a schema cannot say (references between
 * agencies and agreements, unique ids and kids, key material). Pure; names every problem.
 */
export function checkRegistryText(text: string, file?: string): RegistryCheckResult {
  const where = file ? `${file}: ` : '';
  const lineStarts = computeLineStarts(text);
  // The JSON parsers recurse per level: a hostile file of 10,000 '[' would overflow the stack.
  const tooDeep = nestingBeyond(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    const { line, column } = position(lineStarts, tooDeep);
    return { problems: [{ pointer: '', line, message: `${where}JSON nested deeper than ${MAX_NESTING} levels at line ${line}, column ${column}: a registry never needs that` }] };
  }
  const syntaxErrors: ParseError[] = [];
  parseJsonc(text, syntaxErrors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (syntaxErrors.length > 0) {
    return {
      problems: syntaxErrors.map((e) => {
        const { line, column } = position(lineStarts, e.offset);
        return { pointer: '', line, message: `${where}invalid JSON at line ${line}, column ${column}: ${describeSyntaxError(printParseErrorCode(e.error))}` };
      }),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problems: [{ pointer: '', line: 1, message: `${where}invalid JSON: ${(e as Error).message}` }] };
  }
  const tree = parseTree(text);
  const lineOf = (pointer: string): number | undefined => {
    if (!tree) return undefined;
    const node = nodeAt(tree, pointer);
    return node ? position(lineStarts, node.offset).line : undefined;
  };

  const problems: RegistryProblem[] = [];
  if (!validateSchema(value)) {
    for (const err of validateSchema.errors ?? []) {
      const p = schemaProblem(err);
      if (p) problems.push({ pointer: p.pointer, line: lineOf(p.pointer), message: p.message });
    }
  }
  for (const p of semanticProblems(value)) problems.push({ ...p, line: lineOf(p.pointer) });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.pointer.localeCompare(b.pointer));
  const unique = dedupe(problems);
  return unique.length === 0 ? { registry: value as RegistryDocument, problems: [] } : { problems: unique };
}

/** Deepest nesting a registry file may have (a real one needs about 6). */
const MAX_NESTING = 64;

/** Pure: the offset where `{`/`[` nesting (outside strings) first exceeds `limit`, or undefined. */
export function nestingBeyond(text: string, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function dedupe(problems: RegistryProblem[]): RegistryProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.pointer}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function describeSyntaxError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'a property name in double quotes was expected',
    ValueExpected: 'a value was expected',
    ColonExpected: "':' was expected",
    CommaExpected: "',' was expected",
    CloseBraceExpected: "'}' was expected",
    CloseBracketExpected: "']' was expected",
    EndOfFileExpected: 'nothing more was expected (end of file)',
    InvalidCommentToken: 'comments are not allowed in JSON',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in string',
  };
  return words[code] ?? code;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
}

function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The node at a pointer, or the nearest existing ancestor (for a missing property). */
function nodeAt(tree: JsonNode, pointer: string): JsonNode | undefined {
  const segments = pointerSegments(pointer);
  for (let n = segments.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, segments.slice(0, n));
    if (node) {
      // For a property, point at its key (same line as the name the reader looks for).
      return node.parent?.type === 'property' ? node.parent : node;
    }
  }
  return undefined;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function schemaProblem(err: ErrorObject): { pointer: string; message: string } | undefined {
  const at = err.instancePath;
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { pointer: at, message: `missing required property '${String(params.missingProperty)}'` };
    case 'additionalProperties':
      return { pointer: `${at}/${escapePointer(String(params.additionalProperty))}`, message: `unknown property '${String(params.additionalProperty)}'` };
    case 'enum':
      return { pointer: at, message: `${shortJson(err.data)} is not allowed here: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type':
      return { pointer: at, message: `must be of type ${String(params.type)}` };
    case 'pattern':
      return { pointer: at, message: `does not have the expected form (${describePattern(String(params.pattern))})` };
    case 'uniqueItems':
      return { pointer: at, message: `must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)` };
    case 'minItems':
      return { pointer: at, message: `must have at least ${String(params.limit)} item(s)` };
    case 'minLength':
      return { pointer: at, message: 'must not be empty' };
    case 'maxLength':
      return { pointer: at, message: `must be at most ${String(params.limit)} characters` };
    case 'minimum':
      return { pointer: at, message: `must be at least ${String(params.limit)}` };
    case 'if':
      return undefined;
    default:
      return { pointer: at, message: err.message ?? err.keyword };
  }
}

function shortJson(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function describePattern(pattern: string): string {
  if (pattern.startsWith('^\\d{4}')) return 'a date YYYY-MM-DD';
  if (pattern.startsWith('^[a-z][a-z0-9]*')) return "an agency id such as 'qc.mifi'";
  if (pattern === '^[A-Za-z0-9_-]+$') return 'base64url';
  return `pattern ${pattern}`;
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function isRealDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** What the schema cannot say. Defensive: runs on documents that may also fail the schema. */
function semanticProblems(doc: unknown): Array<{ pointer: string; message: string }> {
  const out: Array<{ pointer: string; message: string }> = [];
  if (!isObject(doc)) return out;
  const agencies = new Map<string, Loose>();
  const kids = new Map<string, string>();
  arrayOf(doc.agencies).forEach((agency, i) => {
    if (!isObject(agency)) return;
    const at = `/agencies/${i}`;
    if (typeof agency.id === 'string') {
      if (agencies.has(agency.id)) out.push({ pointer: `${at}/id`, message: `duplicate agency id '${agency.id}'` });
      else agencies.set(agency.id, agency);
    }
    arrayOf(agency.keys).forEach((key, k) => {
      if (!isObject(key)) return;
      const kat = `${at}/keys/${k}`;
      for (const member of PRIVATE_MEMBERS) {
        if (member in key) {
          out.push({
            pointer: `${kat}/${member}`,
            message: `private key material ('${member}') must never be in the registry: publish only the public JWK (remove '${member}') and treat this key as compromised`,
          });
        }
      }
      if (typeof key.kid === 'string') {
        const owner = kids.get(key.kid);
        if (owner !== undefined) out.push({ pointer: `${kat}/kid`, message: `duplicate kid '${key.kid}' (already used by ${owner}); kids must be unique across the registry` });
        else kids.set(key.kid, String(agency.id));
      }
      out.push(...keyMaterialProblems(key, kat));
    });
  });

  const agreementIds = new Set<string>();
  arrayOf(doc.agreements).forEach((agreement, i) => {
    if (!isObject(agreement)) return;
    const at = `/agreements/${i}`;
    if (typeof agreement.id === 'string') {
      if (agreementIds.has(agreement.id)) out.push({ pointer: `${at}/id`, message: `duplicate agreement id '${agreement.id}'` });
      agreementIds.add(agreement.id);
    }
    for (const [side, role] of [
      ['provider', 'PROVIDER'],
      ['consumer', 'CONSUMER'],
    ] as const) {
      const id = agreement[side];
      if (typeof id !== 'string') continue;
      const agency = agencies.get(id);
      if (!agency) out.push({ pointer: `${at}/${side}`, message: `${side} '${id}' is not an agency of this registry` });
      else if (!arrayOf(agency.roles).includes(role)) out.push({ pointer: `${at}/${side}`, message: `${side} '${id}' does not hold the ${role} role` });
    }
    if (typeof agreement.provider === 'string' && agreement.provider === agreement.consumer) {
      out.push({ pointer: `${at}/consumer`, message: `an agreement needs two different agencies (provider and consumer are both '${agreement.provider}')` });
    }
    for (const side of ['validFrom', 'validTo'] as const) {
      const v = agreement[side];
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !isRealDate(v)) out.push({ pointer: `${at}/${side}`, message: `'${v}' is not a calendar date` });
    }
    if (isRealDate(agreement.validFrom) && isRealDate(agreement.validTo) && agreement.validFrom > agreement.validTo) {
      out.push({ pointer: `${at}/validTo`, message: `validTo ${agreement.validTo} is before validFrom ${agreement.validFrom}` });
    }
  });

  out.push(...consentCollectorProblems(doc.consentCollectors, agencies));
  out.push(...witnessProblems(doc.witnesses));

  const programIds = new Set<string>();
  arrayOf(doc.programs).forEach((program, i) => {
    if (isObject(program) && typeof program.id === 'string') {
      if (programIds.has(program.id)) out.push({ pointer: `/programs/${i}/id`, message: `duplicate program id '${program.id}'` });
      programIds.add(program.id);
    }
  });
  // Program rules (issue 8): validated by the policy library that evaluates them.
  out.push(...programProblems(doc.programs));
  return out;
}

/** Witness names are unique; each vkey is a valid cosigner key (type 0x04) whose key ID matches it. */
function witnessProblems(witnesses: unknown): Array<{ pointer: string; message: string }> {
  const out: Array<{ pointer: string; message: string }> = [];
  const names = new Set<string>();
  arrayOf(witnesses).forEach((w, i) => {
    if (!isObject(w)) return;
    const at = `/witnesses/${i}`;
    if (typeof w.name === 'string') {
      if (names.has(w.name)) out.push({ pointer: `${at}/name`, message: `duplicate witness name '${w.name}'` });
      names.add(w.name);
    }
    if (typeof w.vkey === 'string') {
      try {
        if (parseVkey(w.vkey).type !== SIG_COSIGNATURE_V1) out.push({ pointer: `${at}/vkey`, message: 'a witness vkey must be a cosignature/v1 key (type 0x04), as `passerelle witness keygen` prints it' });
      } catch (e) {
        out.push({ pointer: `${at}/vkey`, message: `not a valid vkey: ${(e as Error).message}` });
      }
    }
  });
  return out;
}

/** Collectors and recipients are agencies of the registry with the right roles; no agency collects consent to itself. */
function consentCollectorProblems(collectors: unknown, agencies: Map<string, Loose>): Array<{ pointer: string; message: string }> {
  const out: Array<{ pointer: string; message: string }> = [];
  arrayOf(collectors).forEach((collector, i) => {
    if (!isObject(collector)) return;
    const at = `/consentCollectors/${i}`;
    const id = collector.agency;
    if (typeof id === 'string') {
      const agency = agencies.get(id);
      if (!agency) out.push({ pointer: `${at}/agency`, message: `consent collector '${id}' is not an agency of this registry` });
      else if (!arrayOf(agency.roles).some((r) => r === 'PROVIDER' || r === 'CONSUMER')) {
        out.push({ pointer: `${at}/agency`, message: `consent collector '${id}' holds neither the PROVIDER nor the CONSUMER role, so it cannot manage consents` });
      }
    }
    arrayOf(collector.recipients).forEach((recipient, r) => {
      if (typeof recipient !== 'string') return;
      const rat = `${at}/recipients/${r}`;
      const agency = agencies.get(recipient);
      if (recipient === id) out.push({ pointer: rat, message: `consent collector '${recipient}' names itself as a recipient: an agency never collects consent to itself (the claimant's consent must be collected by another party)` });
      else if (!agency) out.push({ pointer: rat, message: `recipient '${recipient}' is not an agency of this registry` });
      else if (!arrayOf(agency.roles).includes('CONSUMER')) out.push({ pointer: rat, message: `recipient '${recipient}' does not hold the CONSUMER role, so it can receive nothing under a consent` });
    });
  });
  return out;
}

function keyMaterialProblems(key: Loose, at: string): Array<{ pointer: string; message: string }> {
  const alg = key.alg;
  if (typeof alg !== 'string') return [];
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg)) {
    return [{ pointer: `${at}/alg`, message: `alg '${alg}' is not allowed: use EdDSA (Ed25519) or ES256 (P-256)` }];
  }
  const expected = alg === 'EdDSA' ? { kty: 'OKP', crv: 'Ed25519', members: ['x'] } : { kty: 'EC', crv: 'P-256', members: ['x', 'y'] };
  if (key.kty !== expected.kty || key.crv !== expected.crv) {
    return [{ pointer: `${at}/kty`, message: `alg ${alg} needs kty '${expected.kty}' with crv '${expected.crv}' (found kty '${String(key.kty)}', crv '${String(key.crv)}')` }];
  }
  const missing = expected.members.filter((m) => typeof key[m] !== 'string');
  if (missing.length) return missing.map((m) => ({ pointer: at, message: `missing required property '${m}' for a ${expected.crv} public key` }));
  try {
    createPublicKey({ key: { kty: expected.kty, crv: expected.crv, x: key.x, ...(key.y !== undefined ? { y: key.y } : {}) } as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    return [{ pointer: `${at}/x`, message: `not a valid ${expected.crv} public key (x${expected.kty === 'EC' ? '/y' : ''} do not decode to a key)` }];
  }
  return [];
}
