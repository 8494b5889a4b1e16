import { buildSchema, graphql } from 'graphql';
import type { Exchange } from '../exchange/exchange-context';
import { noteDenial, noteDisclosure } from '../exchange/exchange-context';
import { shapeOfSource } from './operation-label';
import { recordRootMutationFields } from './root-field-outcomes';

const S1 = `i_${'A'.repeat(22)}`;

function setUp(intentSeq: number | undefined) {
  const ran: string[] = [];
  const schema = buildSchema('type Query { ok: Int } type Mutation { grant(x: Int): Int! revoke(x: Int): Int! }');
  const fields = schema.getMutationType()!.getFields();
  fields.grant.resolve = (_s, _a, ctx: { req: never }) => {
    ran.push('grant');
    noteDisclosure(ctx.req, [S1], ['province']);
    return 1;
  };
  fields.revoke.resolve = (_s, _a, ctx: { req: never }) => {
    ran.push('revoke');
    noteDenial(ctx.req, 'NOT_FOUND');
    throw Object.assign(new Error('no such consent'), { extensions: { code: 'NOT_FOUND' } });
  };
  recordRootMutationFields(schema);
  const run = async (source: string) => {
    const exchange: Exchange = {
      requestId: 'r',
      requestSha256: '',
      record: { operation: 'graphql:x', decision: 'PERMIT', reason: 'ok', subjects: new Set(), fields: new Set() },
      outcomes: [],
      intentSeq,
      rootFieldKeys: shapeOfSource(source)?.rootFields.map((f) => f.responseKey),
    };
    const result = await graphql({ schema, source, contextValue: { req: { exchange } } });
    return { result, exchange };
  };
  return { run, ran };
}

describe('root mutation fields: one outcome record each, and none runs without its intent entry', () => {
  it('gives each executed root field its own record, numbered by position, never by alias', async () => {
    const { run, ran } = setUp(7);
    const { exchange } = await run('mutation { __typename a: grant(x: 1) b: revoke(x: 2) }');
    expect(ran).toEqual(['grant', 'revoke']);
    expect(exchange.outcomes.map((o) => [o.operation, o.record.decision, o.record.reason, [...o.record.subjects]])).toEqual([
      ['graphql:grant#2', 'PERMIT', 'ok', [S1]],
      ['graphql:revoke#3', 'DENY', 'NOT_FOUND', []],
    ]);
    expect(exchange.record).toMatchObject({ decision: 'PERMIT', reason: 'ok' });
  });

  it('runs no mutation field when the intent entry was not written', async () => {
    const { run, ran } = setUp(undefined);
    const { result, exchange } = await run('mutation { grant(x: 1) }');
    expect(ran).toEqual([]);
    expect(result.errors?.[0].extensions?.code).toBe('UNAVAILABLE');
    expect(exchange.outcomes.map((o) => [o.operation, o.record.decision, o.record.reason])).toEqual([['graphql:grant', 'DENY', 'UNAVAILABLE']]);
  });
});
