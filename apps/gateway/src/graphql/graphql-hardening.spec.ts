import fc from 'fast-check';
import { buildSchema, graphql, GraphQLError, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import pino from 'pino';
import { createErrorFormatter, sanitiseError } from './error-formatter';
import { GRAPHQL_LIMITS, gatewayValidationRules } from './validation-rules';

const schema: GraphQLSchema = buildSchema(`
  input ClaimantInput { clientId: String, frenchLevel: Int }
  type Claimant { pseudonym: String!, province: String, provenance: [Prov!]! }
  type Prov { field: String!, provider: String! }
  type Page { nodes: [Claimant!]! }
  type Query { claimant(pseudonym: String!): Claimant, claimants(first: Int, after: String): Page! }
  type Mutation { submitClaimants(records: [ClaimantInput!]!): Int! }
`);

const silent = pino({ level: 'silent' });
const check = (source: string, introspection = false) =>
  validate(schema, parse(source), [...specifiedRules, ...gatewayValidationRules(introspection)], { hideSuggestions: true } as never);
const codes = (errors: readonly GraphQLError[]) => errors.map((e) => sanitiseError(e).error.extensions?.code);

describe('validation rules', () => {
  it('accepts an ordinary page query', () => {
    expect(check('query { claimants(first: 500) { nodes { pseudonym province provenance { field provider } } } }')).toEqual([]);
  });

  it('refuses a page too costly for its size', () => {
    const fields = Array.from({ length: 60 }, (_, i) => `p${i}: pseudonym`).join(' ');
    const errors = check(`query { claimants(first: 500) { nodes { ${fields} } } }`);
    expect(codes(errors)).toContain('QUERY_TOO_COMPLEX');
  });

  it('costs a variable page size at the maximum', () => {
    const nodes = 'nodes { pseudonym province provenance { field provider } }';
    const many = Array.from({ length: 10 }, (_, i) => `a${i}: claimants(first: $n) { ${nodes} }`).join(' ');
    expect(codes(check(`query Q($n: Int) { ${many} }`))).toEqual(['QUERY_TOO_COMPLEX']);
    expect(check(`query Q { a: claimants(first: 10) { ${nodes} } }`)).toEqual([]);
  });

  it('bounds aliases', () => {
    const aliases = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: __typename`).join(' ');
    const errors = check(`query { ${aliases} }`);
    expect(errors.map((e) => e.message)).toEqual([`the query uses more than ${GRAPHQL_LIMITS.maxAliases} aliases`]);
    expect(codes(errors)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('expands fragments when costing and survives fragment cycles', () => {
    const errors = check('query { claimants(first: 500) { nodes { ...A } } } fragment A on Claimant { ...B } fragment B on Claimant { ...A }');
    expect(errors.length).toBeGreaterThan(0); // the spec rule names the cycle; ours does not loop
  });

  it('allows one operation per document', () => {
    const errors = check('query A { __typename } query B { __typename }');
    expect(errors.map((e) => e.message)).toContain('send one operation per request; this document holds 2');
  });

  it('refuses introspection unless enabled, and keeps __typename', () => {
    expect(codes(check('{ __schema { types { name } } }'))).toEqual(['FORBIDDEN']);
    expect(codes(check('{ __type(name: "Claimant") { name } }'))).toEqual(['FORBIDDEN']);
    expect(check('{ __schema { types { name } } }', true)).toEqual([]);
    expect(check('{ __typename }')).toEqual([]);
  });

  it('gives no "did you mean" suggestions', () => {
    const errors = check('{ claimnt(pseudonym: "x") { pseudonym } }');
    const out = errors.map((e) => sanitiseError(e).error.message);
    expect(out.join(' ')).not.toMatch(/did you mean/i);
    expect(out[0]).toBe('Cannot query field "claimnt" on type "Query".');
  });
});

describe('error formatter', () => {
  const formatter = createErrorFormatter(silent);
  const markers = fc.stringMatching(/^MK[A-Z0-9]{10}$/);

  it('never quotes a variable value back, whatever the wrong type', async () => {
    await fc.assert(
      fc.asyncProperty(markers, fc.constantFrom('number', 'object', 'list', 'unknown-field', 'wrong-level'), async (m, shape) => {
        const record =
          shape === 'number' ? { clientId: { m } } : shape === 'object' ? { clientId: [m] } : shape === 'list' ? [[m]] : shape === 'unknown-field' ? { clientId: 'x', [m]: m } : { clientId: 'x', frenchLevel: m };
        const result = await graphql({ schema, source: 'mutation S($r: [ClaimantInput!]!) { submitClaimants(records: $r) }', variableValues: { r: [record] } });
        expect(result.errors?.length).toBeGreaterThan(0);
        const { response, statusCode } = formatter(result as never, {});
        const text = JSON.stringify(response);
        expect(text).not.toContain(m);
        expect(text).not.toContain('got invalid value');
        expect(response.errors!.every((e) => e.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
        expect(statusCode).toBe(200);
      }),
      { numRuns: 50 },
    );
  });

  it('names the variable and the path of the bad value', async () => {
    const result = await graphql({ schema, source: 'mutation S($r: [ClaimantInput!]!) { submitClaimants(records: $r) }', variableValues: { r: [{ clientId: 'ok' }, { clientId: 'x', frenchLevel: 'SECRET-1' }] } });
    const { response } = formatter(result as never, {});
    expect(response.errors![0].message).toBe('Variable "$r" has an invalid value at r[1].frenchLevel: wrong type, missing or unknown field (values are not quoted back)');
  });

  it('never quotes literals or tokens of the document', () => {
    const literal = check('{ claimant(pseudonym: 12345678) { pseudonym } }');
    const syntax = (() => {
      try {
        parse('{ claimant(pseudonym: "A") { pseudonym } } SECRET12345');
        return null;
      } catch (e) {
        return e as GraphQLError;
      }
    })()!;
    for (const e of [...literal, syntax]) {
      const out = JSON.stringify(sanitiseError(e).error);
      expect(out).not.toContain('12345');
      expect(out).toContain('BAD_USER_INPUT');
    }
  });

  it('keeps domain errors with their code and drops stacks', () => {
    const domain = new GraphQLError('no claimant with this pseudonym is visible to you', { path: ['claimant'], extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } });
    expect(sanitiseError(domain).error).toEqual({ message: 'no claimant with this pseudonym is visible to you', path: ['claimant'], extensions: { code: 'NOT_FOUND' } });
  });

  it('hides unexpected errors behind "internal error"', () => {
    const e = new GraphQLError("duplicate key value violates unique constraint: Key (x)=(SECRET)", { path: ["claimant"], originalError: Object.assign(new Error('SECRET'), { code: '23505' }) });
    expect(sanitiseError(e)).toEqual({ error: { message: "internal error", path: ["claimant"], extensions: { code: "INTERNAL" } }, internal: true });
  });

  it('answers UNAVAILABLE, quoting nothing, when the database goes away under a resolver', () => {
    const shutdown = new GraphQLError('terminating connection due to administrator command', { path: ['submitClaimants'], originalError: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }) });
    const refused = new GraphQLError('x', { path: ['claimants'], originalError: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) });
    const terminated = new GraphQLError('x', { path: ['claimants'], originalError: Object.assign(new Error('Query failed'), { driverError: new Error('Connection terminated unexpectedly') }) });
    for (const e of [shutdown, refused, terminated]) {
      expect(sanitiseError(e)).toEqual({ error: { message: expect.stringMatching(/unavailable right now/), path: e.path, extensions: { code: 'UNAVAILABLE' } }, internal: true });
    }
  });

  it('maps the depth limit and request-level errors', () => {
    const depth = new GraphQLError('`Q query depth (9) exceeds the query depth limit of 8`', { originalError: Object.assign(new Error('x'), { code: 'MER_ERR_GQL_QUERY_DEPTH' }) });
    expect(sanitiseError(depth).error.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const tooLarge = new GraphQLError('Request body is too large', { originalError: Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }) });
    expect(sanitiseError(tooLarge).error).toEqual({ message: 'the request body is too large', extensions: { code: 'BAD_USER_INPUT' } });
    const json = new GraphQLError('Unexpected token \'S\', "SECRET" is not valid JSON', { originalError: Object.assign(new SyntaxError('SECRET'), { statusCode: 400 }) });
    expect(JSON.stringify(sanitiseError(json).error)).not.toContain('SECRET');
  });

  it('marks the exchange DENY when nothing was answered', () => {
    const request = { exchange: { record: { decision: 'PERMIT', reason: 'ok', subjects: new Set(), fields: new Set(), operation: 'graphql' } } };
    formatter({ data: undefined, errors: [new GraphQLError('x', { extensions: { code: 'QUERY_TOO_COMPLEX' } })] } as never, { reply: { request } });
    expect(request.exchange.record).toMatchObject({ decision: 'DENY', reason: 'QUERY_TOO_COMPLEX' });
  });
});
