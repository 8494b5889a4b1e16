import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '@passerelle/logger';
import { noteDenial } from '../exchange/exchange-context';
import { GRAPHQL_ERROR_CODES, type GraphqlErrorCode } from '../errors/error-codes';

/**
 * The one GraphQL error formatter. Its job is that no error message ever carries a submitted
 * value (a client id may hide in any of them) or an internal detail:
 *
 * - domain errors and our validation rules already carry a contract code: kept as they are;
 * - GraphQL's own variable-coercion and literal errors quote the offending value: replaced by a
 *   generic BAD_USER_INPUT message naming only the variable and the path;
 * - syntax errors quote tokens of the query: replaced by the position only;
 * - "Did you mean ...?" suggestions are cut (they reveal the schema to whoever probes it);
 * - anything else (a bug, a database error) becomes "internal error", logged without its message;
 * - never a stack trace, never `originalError` internals in `extensions`.
 *
 * When the answer carries no data the exchange is marked DENY with the first error's code, so
 * refusals before any resolver ran are audited like the others.
 */
export const CONTRACT_CODES: ReadonlySet<string> = new Set<GraphqlErrorCode>(GRAPHQL_ERROR_CODES);

const SAFE_PATH = /^[A-Za-z0-9_[\].]{1,200}$/;
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

interface FormatterContext {
  reply?: { request?: import('fastify').FastifyRequest };
}

interface ErrorLike {
  message?: string;
  code?: string;
  statusCode?: number;
  errors?: unknown[];
  extensions?: Record<string, unknown>;
  stack?: string;
  name?: string;
}

function where(e: GraphQLError): Pick<GraphQLFormattedError, 'locations' | 'path'> {
  const out: Pick<GraphQLFormattedError, 'locations' | 'path'> = {};
  if (e.locations?.length) (out as { locations: unknown }).locations = e.locations;
  if (e.path?.length) (out as { path: unknown }).path = e.path;
  return out;
}

const formatted = (message: string, code: string, e: GraphQLError, extra: Record<string, unknown> = {}): GraphQLFormattedError => ({
  message,
  ...where(e),
  extensions: { ...extra, code },
});

/** PostgreSQL connection failures (SQLSTATE class 08, shutdown 57P01–57P03, too many connections) and socket errors. */
const CONNECTIVITY_CODES = /^(08[0-9A-Z]{3}|57P0[1-3]|53300|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH)$/;
const CONNECTIVITY_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Connection is not established)/;

function isConnectivityFailure(o: ErrorLike & { driverError?: ErrorLike }): boolean {
  const code = o.code ?? o.driverError?.code;
  if (typeof code === 'string' && CONNECTIVITY_CODES.test(code)) return true;
  return CONNECTIVITY_MESSAGES.test(o.message ?? '') || CONNECTIVITY_MESSAGES.test(o.driverError?.message ?? '');
}

/** Pure: one GraphQL (or wrapped) error as the client may see it. */
export function sanitiseError(e: GraphQLError): { error: GraphQLFormattedError; internal: boolean } {
  const original = e.originalError as ErrorLike | undefined;
  const code = (e.extensions?.code ?? (original?.extensions as Record<string, unknown> | undefined)?.code) as string | undefined;

  // 1. Our own: domain errors (ErrorWithProps) and our validation rules.
  if (code && CONTRACT_CODES.has(code)) {
    const { code: _c, exception: _x, stacktrace: _s, ...rest } = (e.extensions ?? {}) as Record<string, unknown>;
    return { error: formatted(e.message.replace(SUGGESTION, ''), code, e, rest), internal: false };
  }

  // 2. mercurius' depth limit.
  if (original?.code === 'MER_ERR_GQL_QUERY_DEPTH') {
    return { error: formatted('the query is nested too deeply', 'QUERY_TOO_COMPLEX', e), internal: false };
  }

  // 3. Request-level errors of fastify / mercurius (body too large, not JSON, bad method...).
  if (original && typeof original.code === 'string' && /^(FST_|MER_ERR_)/.test(original.code) && (original.statusCode ?? 500) < 500) {
    const message =
      original.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'the request body is too large'
        : original.code.startsWith('FST_ERR_CTP') || original.name === 'SyntaxError'
          ? 'the request body could not be read as JSON'
          : `the request was refused (${original.code})`;
    return { error: formatted(message, 'BAD_USER_INPUT', e), internal: false };
  }
  if (original?.name === 'SyntaxError' && original.statusCode === 400) {
    return { error: formatted('the request body could not be read as JSON', 'BAD_USER_INPUT', e), internal: false };
  }

  // 4. Errors from GraphQL itself before execution (parse, validation, variable coercion): no path.
  if (!e.path || e.path.length === 0) {
    const message = e.message;
    if (message.startsWith('Syntax Error')) {
      return { error: formatted('Syntax Error: the document is not valid GraphQL (see locations)', 'BAD_USER_INPUT', e), internal: false };
    }
    const variable = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value[\s\S]*?(?:; |$)/.exec(message);
    if (variable) {
      const at = /^Variable "\$[_A-Za-z][_0-9A-Za-z]*" got invalid value [\s\S]* at "([^"]*)"; /.exec(message)?.[1];
      const path = at && SAFE_PATH.test(at) ? ` at ${at}` : '';
      return {
        error: formatted(`Variable "$${variable[1]}" has an invalid value${path}: wrong type, missing or unknown field (values are not quoted back)`, 'BAD_USER_INPUT', e),
        internal: false,
      };
    }
    if (/^Variable "\$[_A-Za-z][_0-9A-Za-z]*" of (required|non-null) type "[^"]*" (was not provided|must not be null)\.$/.test(message)) {
      return { error: formatted(message, 'BAD_USER_INPUT', e), internal: false };
    }
    if (/value|found/i.test(message)) {
      return { error: formatted('Invalid value in the document (see locations); values are not quoted back', 'BAD_USER_INPUT', e), internal: false };
    }
    return { error: formatted(message.replace(SUGGESTION, ''), 'BAD_USER_INPUT', e), internal: false };
  }

  // 5. The database went away under a resolver (restart, failover, network): not a bug, and not
  //    the caller's fault either; they may retry. Logged like an internal error, answered UNAVAILABLE.
  if (original && isConnectivityFailure(original)) {
    return { error: formatted('a service the gateway depends on is unavailable right now; retry later with a new signature', 'UNAVAILABLE', e), internal: true };
  }

  // 6. Anything else is ours to fix, not the caller's to read.
  return { error: formatted('internal error', 'INTERNAL', e), internal: true };
}

/** Flattens mercurius' validation wrapper (one error holding many). */
function flatten(errors: readonly GraphQLError[]): GraphQLError[] {
  const out: GraphQLError[] = [];
  for (const e of errors) {
    const inner = (e.originalError as ErrorLike | undefined)?.errors;
    if (Array.isArray(inner)) {
      for (const i of inner) out.push(i instanceof GraphQLError ? i : new GraphQLError((i as Error).message, { originalError: i as Error }));
    } else out.push(e);
  }
  return out;
}

export function createErrorFormatter(logger: Logger) {
  return (execution: ExecutionResult & { statusCode?: number }, context: unknown) => {
    const raw = flatten(execution.errors ?? []);
    const errors: GraphQLFormattedError[] = [];
    for (const e of raw) {
      const { error, internal } = sanitiseError(e);
      if (internal) {
        const o = e.originalError as ErrorLike | undefined;
        // The message may quote data (a database error, say): log where it came from, not what it said.
        logger.error({ errorName: o?.name, errorCode: o?.code, path: e.path, stack: o?.stack?.split('\n').slice(1, 8).join('\n') }, 'graphql internal error');
      } else {
        logger.debug({ code: error.extensions?.code, path: e.path }, 'graphql error');
      }
      errors.push(error);
    }

    const request = (context as FormatterContext | undefined)?.reply?.request;
    if (!execution.data && request?.exchange && request.exchange.record.decision === 'PERMIT' && errors.length > 0) {
      noteDenial(request, String(errors[0].extensions?.code ?? 'BAD_USER_INPUT'));
    }

    let statusCode = execution.data ? 200 : (execution.statusCode ?? 200);
    if (!execution.data && execution.statusCode === undefined && (execution.errors ?? []).length === 1) {
      const s = (execution.errors![0].originalError as ErrorLike | undefined)?.statusCode;
      statusCode = typeof s === 'number' ? s : 200;
    }
    return { statusCode, response: { data: execution.data ?? null, errors } };
  };
}
