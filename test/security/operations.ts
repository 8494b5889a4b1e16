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

/**
 * The gateway's GraphQL operations as a test sees them: every Query and Mutation field of the
 * committed schema (apps/gateway/schema.graphql), with documents to call each. Who may call them
 * is declared in policy-table.ts, never read from the code.
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
