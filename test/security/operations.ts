import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { REPO_ROOT } from '@passerelle/testing';
import type { Purpose, Role } from '@passerelle/registry';

/**
 * The gateway's GraphQL operations as a test sees them: every Query and Mutation field of the
 * committed schema (apps/gateway/schema.graphql), with documents to call each, plus the access
 * rule the code declares for it (@Requires / @Public metadata on the resolver methods).
 */

export const SCHEMA_FILE = path.join(REPO_ROOT, 'apps/gateway/schema.graphql');

export function loadSchema(): GraphQLSchema {
  return buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));
}

export interface Operation {
  kind: 'query' | 'mutation';
  name: string;
  field: GraphQLField<unknown, unknown>;
}

export function operationsOf(schema: GraphQLSchema): Operation[] {
  const out: Operation[] = [];
  for (const [kind, type] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) out.push({ kind, name: field.name, field });
  }
  return out;
}

/**
 * A GraphQL literal of `type`, with `leaf(scalarName)` for every scalar: required input fields
 * only, or every field with `allFields`.
 */
export function literalOf(type: GraphQLInputType, leaf: (scalar: string) => string, allFields = false): string {
  if (isNonNullType(type)) return literalOf(type.ofType, leaf, allFields);
  if (isListType(type)) return `[${literalOf(type.ofType, leaf, allFields)}]`;
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => allFields || isNonNullType(f.type));
    return `{${fields.map((f) => `${f.name}: ${literalOf(f.type, leaf, allFields)}`).join(', ')}}`;
  }
  if (isScalarType(type)) return leaf(type.name);
  throw new Error(`no literal for ${String(type)}`);
}

export const VALID_LEAF = (scalar: string) => (scalar === 'Int' ? '1' : scalar === 'Float' ? '1' : scalar === 'Boolean' ? 'true' : '"x"');

/** The selection a field needs: `{ __typename }` for objects, nothing for scalars and enums. */
export function selectionOf(field: GraphQLField<unknown, unknown>): string {
  return isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
}

/** A document calling `op` with the required arguments (each from `value(arg)`). */
export function documentOf(op: Operation, value: (arg: GraphQLArgument) => string | undefined): string {
  const args = op.field.args.flatMap((a) => {
    const v = value(a);
    return v === undefined ? [] : [`${a.name}: ${v}`];
  });
  return `${op.kind} { ${op.name}${args.length ? `(${args.join(', ')})` : ''}${selectionOf(op.field)} }`;
}

export interface AccessRule {
  public: boolean;
  requirement?: { role: Role | Role[]; purposes: Purpose[] };
  /** the resolver class and method that serve the operation (undefined: no resolver found) */
  servedBy?: string;
}

const REQUIRES_KEY = 'passerelle:requires';
const PUBLIC_KEY = 'passerelle:public';
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const RESOLVER_NAME_METADATA = 'graphql:resolver_name';

function resolverFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return resolverFiles(p);
    return e.name.endsWith('.resolver.ts') ? [p] : [];
  });
}

/**
 * Reads the access rules from the code: every exported class of apps/gateway/src/**\/*.resolver.ts,
 * every method with GraphQL Query/Mutation metadata, and its @Requires / @Public metadata (method
 * first, then class, as the one guard reads them). Keyed "query:name" / "mutation:name".
 */
export function accessRulesFromCode(): Map<string, AccessRule> {
  require('reflect-metadata');
  const rules = new Map<string, AccessRule>();
  for (const file of resolverFiles(path.join(REPO_ROOT, 'apps/gateway/src'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    for (const exported of Object.values(mod)) {
      if (typeof exported !== 'function' || !exported.prototype) continue;
      const cls = exported as new (...a: unknown[]) => unknown;
      for (const key of Object.getOwnPropertyNames(cls.prototype)) {
        if (key === 'constructor') continue;
        const handler = Object.getOwnPropertyDescriptor(cls.prototype, key)?.value as object | undefined;
        if (typeof handler !== 'function') continue;
        const type = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) as string | undefined;
        if (type !== 'Query' && type !== 'Mutation') continue;
        const name = (Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) as string | undefined) ?? key;
        const get = <T>(k: string): T | undefined => (Reflect.getMetadata(k, handler) as T | undefined) ?? (Reflect.getMetadata(k, cls) as T | undefined);
        rules.set(`${type.toLowerCase()}:${name}`, {
          public: get<boolean>(PUBLIC_KEY) === true,
          requirement: get(REQUIRES_KEY),
          servedBy: `${cls.name}.${key} (${path.relative(REPO_ROOT, file)})`,
        });
      }
    }
  }
  return rules;
}
