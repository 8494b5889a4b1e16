import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { CostLimitRule, GRAPHQL_LIMITS, HEAVY_ROOT_FIELDS } from './validation-rules';

const schema = buildSchema(`
  type Cell { key: String count: Int }
  type Statistics { cells: [Cell!]! total: Int }
  type Report { statistics: Int }
  type Query { statistics(groupBy: String!): Statistics report: Report gatewayInfo: String }
`);
const check = (doc: string) => validate(schema, parse(doc), [...specifiedRules, CostLimitRule]);

describe('cost rules price statistics as the heavy operation it is', () => {
  it('prices one statistics call above half the limit', () => {
    expect(HEAVY_ROOT_FIELDS.statistics.cost * 2).toBeGreaterThan(GRAPHQL_LIMITS.maxCost);
  });

  it('lets one statistics call through', () => {
    expect(check('{ statistics(groupBy: "province") { cells { key count } total } }')).toEqual([]);
  });

  it.each([
    ['aliases', '{ a: statistics(groupBy: "province") { total } b: statistics(groupBy: "sector") { total } }'],
    ['aliases inside a fragment', 'query { ...F } fragment F on Query { a: statistics(groupBy: "province") { total } b: statistics(groupBy: "sector") { total } }'],
    ['an inline fragment beside a plain call', '{ statistics(groupBy: "province") { total } ... on Query { b: statistics(groupBy: "sector") { total } } }'],
    ['many aliases', `{ ${Array.from({ length: 10 }, (_, i) => `s${i}: statistics(groupBy: "province") { total }`).join(' ')} }`],
  ])('refuses two or more statistics calls in one document (%s), before execution, naming why', (_name, doc) => {
    const errors = check(doc);
    expect(errors).toHaveLength(1);
    expect(errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect(errors[0].message).toMatch(/× statistics at 15000 each; send one statistics query per request/);
  });

  it('does not price a field that merely shares the name on another type', () => {
    expect(check('{ a: report { statistics } b: report { statistics } c: report { statistics } }')).toEqual([]);
  });
});
