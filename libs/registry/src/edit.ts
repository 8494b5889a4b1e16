import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyEdits, findNodeAtLocation, modify, parse as parseJsonc, parseTree, type FormattingOptions, type JSONPath } from 'jsonc-parser';
import { checkRegistryText } from './check';
import type { Agreement, ConsentCollector, RegistryKey, RegistryProblem, Role } from './types';

/**
 * Editing a registry file without hand editing: each operator command is a list of generic edits
 * (a path into the JSON and a value), applied with jsonc-parser so the file's order, indentation
 * and one-line entries survive, then checked as `passerelle registry check` would. Pure except
 * for `writeFileAtomically`.
 */

/** Set the value at `path`; a path ending in -1 appends to the array before it. */
export interface RegistryEdit {
  path: JSONPath;
  value: unknown;
}

export interface EditOutcome {
  /** the edited text: only set when it passes every registry check */
  text?: string;
  /** what the check found wrong with the edited text, or why the edit could not be made */
  problems: RegistryProblem[];
}

/** The file's own indentation and line ending, so inserted entries look like their neighbours. */
export function detectFormatting(text: string): FormattingOptions {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Applies the edits in order (each on the previous result). Pure. */
export function applyRegistryEdits(text: string, edits: readonly RegistryEdit[]): string {
  const formattingOptions = detectFormatting(text);
  let out = text;
  for (const e of edits) {
    const appended = e.path[e.path.length - 1] === -1 ? appendLikeNeighbours(out, e.path.slice(0, -1), e.value, formattingOptions) : undefined;
    out = appended ?? applyEdits(out, modify(out, e.path, e.value, { formattingOptions }));
  }
  return out;
}

/**
 * Appends to a non-empty array in the style of its last item: on one line when that item is on
 * one line (as consentCollectors often are), else indented like it. jsonc-parser's own
 * formatting would re-flow the neighbour too. Undefined for an empty or missing array.
 */
function appendLikeNeighbours(text: string, arrayPath: JSONPath, value: unknown, fmt: FormattingOptions): string | undefined {
  const tree = parseTree(text);
  const array = tree && findNodeAtLocation(tree, arrayPath);
  const last = array?.type === 'array' ? array.children?.[array.children.length - 1] : undefined;
  if (!last) return undefined;
  const end = last.offset + last.length;
  const lineStart = text.lastIndexOf('\n', last.offset) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
  const eol = fmt.eol ?? '\n';
  const oneLine = !text.slice(last.offset, end).includes('\n');
  const rendered = oneLine ? compactJson(value) : JSON.stringify(value, null, unit).split('\n').join(`${eol}${indent}`);
  const separator = text.slice(lineStart, last.offset).trim() === '' ? `,${eol}${indent}` : ', ';
  return `${text.slice(0, end)}${separator}${rendered}${text.slice(end)}`;
}

/** JSON on one line, spaced as people write it: { "a": ["x", "y"] }. */
export function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value).filter(([, v]) => v !== undefined);
    return members.length ? `{ ${members.map(([k, v]) => `${JSON.stringify(k)}: ${compactJson(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** Applies the edits and keeps the result only if the registry check passes on it. */
export function editRegistryText(text: string, edits: readonly RegistryEdit[]): EditOutcome {
  const edited = applyRegistryEdits(text, edits);
  const { registry, problems } = checkRegistryText(edited);
  return registry ? { text: edited, problems: [] } : { problems };
}

// ---- The operator's edits, as paths into the document ------------------------------------------

type Loose = Record<string, unknown>;

/** Why an edit cannot even be stated (unknown agency or kid, duplicate id…): a clear refusal. */
export class RegistryEditRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryEditRefused';
  }
}

function documentOf(text: string): Loose {
  const doc = parseJsonc(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryEditRefused('the registry file is not a JSON object: run `passerelle registry check` on it first');
  return doc as Loose;
}

const list = (v: unknown): Loose[] => (Array.isArray(v) ? (v as Loose[]) : []);

/** Appends `value` to the array at `arrayPath`, creating the array when the document has none. */
function appendTo(doc: Loose, key: string, value: unknown): RegistryEdit {
  return Array.isArray(doc[key]) ? { path: [key, -1], value } : { path: [key], value: [value] };
}

export interface NewAgency {
  id: string;
  names: { en: string; fr: string };
  jurisdiction: string;
  roles: Role[];
  rateLimit?: { requestsPerMinute: number };
}

export function addAgencyEdits(text: string, agency: NewAgency): RegistryEdit[] {
  const doc = documentOf(text);
  if (list(doc.agencies).some((a) => a.id === agency.id)) throw new RegistryEditRefused(`agency '${agency.id}' already exists`);
  return [appendTo(doc, 'agencies', { ...agency, keys: [] })];
}

export function addKeyEdits(text: string, agencyId: string, key: RegistryKey): RegistryEdit[] {
  const doc = documentOf(text);
  const index = list(doc.agencies).findIndex((a) => a.id === agencyId);
  if (index < 0) throw new RegistryEditRefused(`agency '${agencyId}' is not in the registry (add it first with \`passerelle registry add-agency\`)`);
  const keys = list(doc.agencies).flatMap((a) => list(a.keys).map((k) => ({ agency: a.id, kid: k.kid })));
  const taken = keys.find((k) => k.kid === key.kid);
  if (taken) throw new RegistryEditRefused(`kid '${String(key.kid)}' is already in the registry (agency '${String(taken.agency)}')`);
  const agency = list(doc.agencies)[index];
  return [Array.isArray(agency.keys) ? { path: ['agencies', index, 'keys', -1], value: key } : { path: ['agencies', index, 'keys'], value: [key] }];
}

const STATUS_ORDER: Record<string, number> = { active: 0, retired: 1, revoked: 2 };

/**
 * Retire (earlier signatures still verify, no new ones) or revoke (nothing verifies any more) a
 * key. Only forward: a revoked key never comes back, a retired one is never reactivated here.
 */
export function keyStatusEdits(text: string, kid: string, status: 'retired' | 'revoked'): RegistryEdit[] {
  const doc = documentOf(text);
  for (const [i, agency] of list(doc.agencies).entries()) {
    for (const [k, key] of list(agency.keys).entries()) {
      if (key.kid !== kid) continue;
      const current = String(key.status);
      if (current === status) throw new RegistryEditRefused(`key '${kid}' of '${String(agency.id)}' is already ${status}`);
      if ((STATUS_ORDER[current] ?? 0) > STATUS_ORDER[status]) throw new RegistryEditRefused(`key '${kid}' of '${String(agency.id)}' is ${current}: a ${current} key cannot become ${status}`);
      return [{ path: ['agencies', i, 'keys', k, 'status'], value: status }];
    }
  }
  throw new RegistryEditRefused(`no key with kid '${kid}' in the registry`);
}

export function addAgreementEdits(text: string, agreement: Agreement): RegistryEdit[] {
  const doc = documentOf(text);
  if (list(doc.agreements).some((a) => a.id === agreement.id)) throw new RegistryEditRefused(`agreement '${agreement.id}' already exists`);
  return [appendTo(doc, 'agreements', agreement)];
}

export function addCollectorEdits(text: string, collector: ConsentCollector): RegistryEdit[] {
  const doc = documentOf(text);
  const same = list(doc.consentCollectors).find(
    (c) => c.agency === collector.agency && sameSet(c.purposes, collector.purposes) && sameSet(c.recipients, collector.recipients),
  );
  if (same) throw new RegistryEditRefused(`'${collector.agency}' is already a consent collector for these purposes and recipients`);
  return [appendTo(doc, 'consentCollectors', collector)];
}

function sameSet(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && b.every((x) => a.includes(x));
}

/**
 * A JSON pointer (RFC 6901) resolved against the document, for `registry set|append`: numeric
 * segments index arrays, `-` is the end of an array, and under an array of objects with ids a
 * segment may name the item by its id (`/agreements/dsa-mifi-esdc-jobs/validTo`). Every parent
 * must exist; the last segment may be a new object member.
 */
export function resolvePointer(text: string, pointer: string): { path: JSONPath; exists: boolean } {
  if (pointer !== '' && !pointer.startsWith('/')) throw new RegistryEditRefused(`'${pointer}' is not a JSON pointer: it starts with '/', e.g. /agreements/dsa-x/validTo`);
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = documentOf(text);
  const out: JSONPath = [];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const here = `/${segments.slice(0, i + 1).join('/')}`;
    if (Array.isArray(node)) {
      let index: number;
      if (segment === '-' && last) return { path: [...out, -1], exists: false };
      if (/^(0|[1-9]\d*)$/.test(segment)) index = Number(segment);
      else index = node.findIndex((item) => typeof item === 'object' && item !== null && (item as Loose).id === segment);
      if (index < 0 || index >= node.length) throw new RegistryEditRefused(`${here}: no such item (the array has ${node.length}; name an item by index or id, or '-' to append)`);
      out.push(index);
      node = node[index];
    } else if (typeof node === 'object' && node !== null) {
      out.push(segment);
      if (!(segment in (node as Loose))) {
        if (last) return { path: out, exists: false };
        throw new RegistryEditRefused(`${here}: no such member`);
      }
      node = (node as Loose)[segment];
    } else {
      throw new RegistryEditRefused(`${here}: ${`/${segments.slice(0, i).join('/')}`} is a ${typeof node}, not an object or array`);
    }
  }
  return { path: out, exists: true };
}

/** Set (or add) the value at a pointer. The root itself is never replaced here. */
export function setEdits(text: string, pointer: string, value: unknown): RegistryEdit[] {
  const { path: at } = resolvePointer(text, pointer);
  if (at.length === 0) throw new RegistryEditRefused('the whole document cannot be replaced: name a member, e.g. /consentRequiredFor');
  return [{ path: at, value }];
}

/** Append the value to the array at a pointer. */
export function appendEdits(text: string, pointer: string, value: unknown): RegistryEdit[] {
  const { path: at, exists } = resolvePointer(text, pointer);
  if (!exists) return [{ path: at, value: [value] }];
  const target = at.reduce<unknown>((n, seg) => (n as Record<string | number, unknown>)[seg], documentOf(text));
  if (!Array.isArray(target)) throw new RegistryEditRefused(`${pointer} is not an array: use \`registry set\` to change it`);
  return [{ path: [...at, -1], value }];
}

// ---- Showing and writing -----------------------------------------------------------------------

/**
 * A unified diff (3 lines of context) of two texts, line by line (LCS). Pure. Registry files are
 * a few thousand lines at most, so the quadratic table is fine.
 */
export function unifiedDiff(before: string, after: string, name: string, context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<{ op: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', line: a[i], ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', line: a[i], ai: i++, bi: j });
    else ops.push({ op: '+', line: b[j], ai: i, bi: j++ });
  }
  const changed = ops.map((o, k) => (o.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const hunks: Array<[number, number]> = [];
  for (const k of changed) {
    const from = Math.max(0, k - context);
    const to = Math.min(ops.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  }
  const out = [`--- ${name}`, `+++ ${name} (edited)`];
  for (const [from, to] of hunks) {
    const slice = ops.slice(from, to + 1);
    const aCount = slice.filter((o) => o.op !== '+').length;
    const bCount = slice.filter((o) => o.op !== '-').length;
    out.push(`@@ -${slice[0].ai + 1},${aCount} +${slice[0].bi + 1},${bCount} @@`);
    for (const o of slice) out.push(`${o.op}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Replaces a file atomically: a temporary file beside it (same mode), then rename, so a reader
 * (the gateway on SIGHUP) sees the old file or the new one, never half of one.
 */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const mode = (await fs.stat(file).catch(() => undefined))?.mode ?? 0o644;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode & 0o777);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}
