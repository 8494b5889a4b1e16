import fc from 'fast-check';
import { fitLabel, LABEL_KEEP, MAX_LABEL_LENGTH, operationLabel, rootFieldLabel, shapeOfSource } from './operation-label';

const label = (query: string, operationName?: string, variables?: Record<string, unknown>) => operationLabel(shapeOfSource(query, operationName, variables));
/** What consent-audit's ledger accepts as an entry's operation (apps/consent-audit/src/ledger/ledger-entry.ts). */
const LEDGER_OPERATION = /^[\x20-\x7e]{1,200}$/;

describe('the ledger names every executed root field, however the document is shaped', () => {
  it.each([
    ['plain', 'mutation { revokeConsent(id: "c") { id } }', 'graphql:revokeConsent'],
    ['behind __typename in an inline fragment (the old label said __typename)', 'mutation { __typename ... on Mutation { revokeConsent(id: "c") { id } } }', 'graphql:__typename,revokeConsent'],
    ['in a named fragment', 'mutation { ...M } fragment M on Mutation { recordConsent(x: 1) { id } }', 'graphql:recordConsent'],
    ['in nested fragments', 'mutation { ... { ...M } } fragment M on Mutation { ... on Mutation { applyToProgram(p: "x") { id } } }', 'graphql:applyToProgram'],
    ['aliased (the alias is never quoted)', 'mutation { clientId12345: revokeConsent(id: "c") { id } }', 'graphql:revokeConsent'],
    ['twice under two aliases', 'mutation { a: revokeConsent(id: "1") { id } b: recordConsent(x: 2) { id } }', 'graphql:recordConsent,revokeConsent'],
    ['with a fragment cycle', 'query { ...A } fragment A on Query { claimant(p: "x") { p } ...B } fragment B on Query { ...A }', 'graphql:claimant'],
    ['skipped', 'mutation { __typename revokeConsent(id: "c") @skip(if: true) { id } }', 'graphql:__typename'],
    ['not included', 'mutation { __typename ... @include(if: false) { revokeConsent(id: "c") { id } } }', 'graphql:__typename'],
    ['included', 'mutation { ... @include(if: true) { revokeConsent(id: "c") { id } } }', 'graphql:revokeConsent'],
    ['not valid GraphQL', 'mutation {', 'graphql:invalid'],
  ])('%s', (_, query, expected) => {
    expect(label(query)).toBe(expected);
  });

  it('reads @skip/@include variables, then their defaults, and keeps a field whose condition cannot be read', () => {
    const q = 'mutation M($s: Boolean = true) { __typename revokeConsent(id: "c") @skip(if: $s) { id } }';
    expect(label(q)).toBe('graphql:__typename');
    expect(label(q, undefined, { s: false })).toBe('graphql:__typename,revokeConsent');
    expect(label('mutation M($s: Boolean) { revokeConsent(id: "c") @skip(if: $s) { id } }')).toBe('graphql:revokeConsent');
  });

  it('labels the named operation', () => {
    const q = 'query A { claimant(p: "x") { p } } mutation B { revokeConsent(id: "c") { id } }';
    expect(label(q, 'B')).toBe('graphql:revokeConsent');
    expect(label(q, 'C')).toBe('graphql:invalid');
    expect(shapeOfSource(q, 'B')?.kind).toBe('mutation');
  });

  it('merges fields sharing a response key and keeps execution order', () => {
    const shape = shapeOfSource('mutation { b: revokeConsent(id: "1") { id } ... on Mutation { b: revokeConsent(id: "1") { id } } a: recordConsent(x: 1) { id } }');
    expect(shape?.rootFields.map((f) => f.name)).toEqual(['revokeConsent', 'recordConsent']);
  });

  it('tells repeated root fields apart by position, never by alias', () => {
    expect(rootFieldLabel('revokeConsent', 1, 1)).toBe('graphql:revokeConsent');
    expect(rootFieldLabel('revokeConsent', 2, 3)).toBe('graphql:revokeConsent#2');
  });

  it('shortens an oversize label with a hash instead of having the ledger refuse it', () => {
    const long = `f${'x'.repeat(300)}`;
    const out = label(`mutation { ${long}(a: 1) }`);
    expect(out).toMatch(LEDGER_OPERATION);
    expect(out.startsWith(`graphql:f${'x'.repeat(LABEL_KEEP - 9)}...#`)).toBe(true);
    expect(out).toHaveLength(LABEL_KEEP + 4 + 22);
    expect(label(`mutation { ${long}y(a: 1) }`)).not.toBe(out);
  });

  it('property: any label fits the ledger, is kept as is when it already fits, and differs when its input differs', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 600 }), (a, b) => {
        const fa = fitLabel(a);
        expect(fa).toMatch(LEDGER_OPERATION);
        expect(fa.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
        if (/^[\x20-\x24\x26-\x7e]{1,200}$/.test(a)) expect(fa).toBe(a);
        if (a !== b) expect(fitLabel(b)).not.toBe(fa);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: every root field of a generated document is named, wherever the fragments put it', () => {
    const name = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.constantFrom('plain', 'inline', 'named', 'aliased')), { minLength: 1, maxLength: 12 }), (fields) => {
        const fragments: string[] = [];
        const selections = fields.map(([n, how], i) => {
          if (how === 'inline') return `... on Mutation { ${n} }`;
          if (how === 'named') {
            fragments.push(`fragment F${i} on Mutation { ${n} }`);
            return `...F${i}`;
          }
          return how === 'aliased' ? `al_${i}: ${n}` : n;
        });
        const out = label(`mutation { ${selections.join(' ')} } ${fragments.join(' ')}`);
        expect(out).toMatch(LEDGER_OPERATION);
        const named = `graphql:${[...new Set(fields.map(([n]) => n))].sort().join(',')}`;
        if (named.length <= MAX_LABEL_LENGTH) expect(out).toBe(named);
      }),
      { numRuns: 300 },
    );
  });
});
