import { createHash } from 'node:crypto';
import {
  Kind,
  parse,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * What the ledger calls a GraphQL exchange: the root fields the document will execute, found the
 * way GraphQL's own CollectFields finds them (spec §6.3.2): through inline fragments and named
 * fragment spreads, honouring @skip/@include, merging fields that share a response key. Aliases
 * are client-chosen text (they may carry anything, a client id included), so a label never
 * quotes one: repeated fields are told apart by their position instead.
 */
export type OperationKind = 'query' | 'mutation' | 'subscription';

export interface RootField {
  /** the schema field name (never the alias) */
  name: string;
  /** the response key (alias or name); kept in memory only, to find the field's position */
  responseKey: string;
}

export interface OperationShape {
  kind: OperationKind;
  /** executed root fields in execution order, one per response key */
  rootFields: RootField[];
}

/** The ledger's limit on `operation` (consent-audit ledger-entry.ts): 1 to 200 printable ASCII characters. */
export const MAX_LABEL_LENGTH = 200;
/** How much of an oversize label is kept before its hash. */
export const LABEL_KEEP = 150;
export const INVALID_GRAPHQL_LABEL = 'graphql:invalid';

/** Pure: the shape of the operation `operationName` (or the only one) of `document`, or undefined when there is none. */
export function shapeOf(document: DocumentNode, operationName?: unknown, variables?: unknown): OperationShape | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = typeof operationName === 'string' && operationName !== '' ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const values = variableValues(operation, variables);
  const byKey = new Map<string, RootField>();
  const visited = new Set<string>();
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (!included(selection.directives, values)) continue;
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        if (!byKey.has(responseKey)) byKey.set(responseKey, { name: selection.name.value, responseKey });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread twice, or in a cycle, is collected once (as GraphQL does).
        if (!fragment || visited.has(name)) continue;
        visited.add(name);
        collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return { kind: operation.operation as OperationKind, rootFields: [...byKey.values()] };
}

/** Parses and shapes; undefined when the text is not GraphQL (the request is refused later, and labelled invalid). */
export function shapeOfSource(source: string, operationName?: unknown, variables?: unknown, maxTokens = 5000): OperationShape | undefined {
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true, maxTokens });
  } catch {
    return undefined;
  }
  return shapeOf(document, operationName, variables);
}

/** "graphql:<root fields, sorted, each once>", fitted to the ledger: the request's (or intent's) operation. */
export function operationLabel(shape: OperationShape | undefined): string {
  if (!shape || shape.rootFields.length === 0) return INVALID_GRAPHQL_LABEL;
  return fitLabel(`graphql:${[...new Set(shape.rootFields.map((f) => f.name))].sort().join(',')}`);
}

/**
 * The operation of one root mutation field's outcome entry: "graphql:<field>" when the document
 * executes one root field, "graphql:<field>#<position>" (1-based, in execution order) otherwise.
 */
export function rootFieldLabel(name: string, position: number, rootFieldCount: number): string {
  return fitLabel(rootFieldCount <= 1 ? `graphql:${name}` : `graphql:${name}#${position}`);
}

/**
 * Pure: a label the ledger always accepts. Characters outside printable ASCII are %-escaped (UTF-8);
 * a label still over MAX_LABEL_LENGTH keeps its first LABEL_KEEP characters, then "...#" and the
 * first 22 base64url characters (128 bits) of SHA-256 over the whole escaped label. Never refused,
 * never ambiguous: two different labels only share a shortened form if SHA-256 collides.
 */
export function fitLabel(label: string): string {
  const printable = label.replace(/[^\x20-\x7e]|%/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  const safe = printable === '' ? '%' : printable;
  if (safe.length <= MAX_LABEL_LENGTH) return safe;
  const digest = createHash('sha256').update(safe, 'utf8').digest('base64url').slice(0, 22);
  return `${safe.slice(0, LABEL_KEEP)}...#${digest}`;
}

function variableValues(operation: OperationDefinitionNode, variables: unknown): Map<string, unknown> {
  const given = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
  const values = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (Object.prototype.hasOwnProperty.call(given, name)) values.set(name, given[name]);
    else if (definition.defaultValue?.kind === Kind.BOOLEAN) values.set(name, definition.defaultValue.value);
  }
  return values;
}

/** @skip / @include as GraphQL applies them; a condition that cannot be read keeps the field (naming too much beats hiding one). */
function included(directives: readonly DirectiveNode[] | undefined, values: Map<string, unknown>): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const condition = booleanOf(directive.arguments?.find((a) => a.name.value === 'if')?.value, values);
    if (condition === undefined) continue;
    if (name === 'skip' && condition) return false;
    if (name === 'include' && !condition) return false;
  }
  return true;
}

function booleanOf(value: ValueNode | undefined, values: Map<string, unknown>): boolean | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.VARIABLE) {
    const v = values.get(value.name.value);
    return typeof v === 'boolean' ? v : undefined;
  }
  return undefined;
}

/** Parsed documents of recent requests (agencies send the same few over and over); cleared when full. */
const documents = new Map<string, DocumentNode | null>();
const DOCUMENT_CACHE_SIZE = 1000;
const CACHEABLE_LENGTH = 20_000;

/** The ledger label and shape of a POST /graphql body ({query, operationName, variables}). */
export function graphqlOperationOf(body: unknown): { label: string; shape?: OperationShape } {
  const b = body as { query?: unknown; operationName?: unknown; variables?: unknown } | undefined;
  if (!b || typeof b !== 'object' || typeof b.query !== 'string') return { label: INVALID_GRAPHQL_LABEL };
  let document = documents.get(b.query);
  if (document === undefined) {
    try {
      document = parse(b.query, { noLocation: true, maxTokens: 5000 });
    } catch {
      document = null;
    }
    if (documents.size >= DOCUMENT_CACHE_SIZE) documents.clear();
    if (b.query.length <= CACHEABLE_LENGTH) documents.set(b.query, document);
  }
  const shape = document ? shapeOf(document, b.operationName, b.variables) : undefined;
  return { label: operationLabel(shape), shape };
}
