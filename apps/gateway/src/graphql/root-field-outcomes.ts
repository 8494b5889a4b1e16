import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import type { FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { closeRootField, openRootField, type Exchange } from '../exchange/exchange-context';
import { rootFieldLabel } from './operation-label';

/** An error's contract code when it carries one (domain errors, guards), else INTERNAL. */
const CODE = /^[A-Z][A-Z_]{0,39}$/;

interface ResolverContext {
  req?: FastifyRequest;
  reply?: { request?: FastifyRequest };
}

/**
 * Write-ahead audit, GraphQL side (docs/ledger.md "Mutations"): wraps the resolver of every root
 * Mutation field so that each executed field gets its own record (its own outcome entry, written
 * by the exchange recorder before the answer leaves). GraphQL runs root mutation fields one after
 * the other (spec §6.2.2, and graphql-jit too), so "the field running now" is well defined and
 * services keep calling noteDisclosure/noteDenial on the request.
 *
 * A mutation field never runs unless the request's intent entry is durable: the preHandler writes
 * it (or answers 503 audit_unavailable); this wrapper refuses to run a field when it is missing.
 *
 * Given to GraphQLModule as `transformSchema`: the wrapper sits outside Nest's own resolver
 * function, so guard and exception-filter notes land in the field's record.
 */
export function recordRootMutationFields(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, context: ResolverContext, info) => {
      const exchange = (context?.req ?? context?.reply?.request)?.exchange;
      if (!exchange) return resolve(source, args, context, info);
      const { position, count } = positionOf(exchange, String(info.path.key));
      const record = openRootField(exchange, rootFieldLabel(info.fieldName, position, count));
      if (exchange.intentSeq === undefined) {
        closeRootField(exchange, record, { code: 'UNAVAILABLE' });
        throw new mercurius.ErrorWithProps('this mutation was not run: its intent could not be recorded in the audit ledger first; retry later with a new signature', { code: 'UNAVAILABLE' });
      }
      try {
        const value: unknown = await resolve(source, args, context, info);
        closeRootField(exchange, record);
        return value;
      } catch (e) {
        const code = (e as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
        closeRootField(exchange, record, { code: typeof code === 'string' && CODE.test(code) ? code : 'INTERNAL' });
        throw e;
      }
    };
  }
  return schema;
}

/** 1-based position of the field among the document's executed root fields (found in the preHandler). */
function positionOf(exchange: Exchange, responseKey: string): { position: number; count: number } {
  const keys = exchange.rootFieldKeys ?? [];
  const index = keys.indexOf(responseKey);
  if (index >= 0) return { position: index + 1, count: keys.length };
  // Not foreseen (should not happen): number it after the fields recorded so far.
  const position = exchange.outcomes.length + 1;
  return { position, count: Math.max(position, keys.length, 2) };
}
