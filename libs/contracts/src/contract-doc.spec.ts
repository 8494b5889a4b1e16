import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

interface Generated {
  current: string;
  text: string;
  missing: string[];
}
interface ContractReference {
  generate(options: { load: (file: string) => unknown; doc?: string }): Generated;
  collectSources(root: string, load: (file: string) => unknown): Record<string, unknown> & { graphqlCodes: string[] };
  renderSections(sources: unknown): { sections: Record<string, string>; missing: string[] };
  applySections(doc: string, sections: Record<string, string>): string;
  firstDifference(a: string, b: string): number;
  STALE: string;
}

// The generator is plain node (npm run contract:generate); under jest its TypeScript sources load through jest.
const reference = require(path.join(ROOT, 'scripts', 'contract-reference.js')) as ContractReference;
const load = (file: string): unknown => require(path.join(ROOT, file));

describe('docs/contract.md', () => {
  it('the reference sections are what the sources generate (SDL, protos, error codes, registry schema)', () => {
    const { current, text } = reference.generate({ load });
    if (current !== text) throw new Error(`${reference.STALE} (first difference at line ${reference.firstDifference(current, text)})`);
  });

  it('every error code the code can answer with has a meaning in the contract', () => {
    const { missing } = reference.generate({ load });
    expect(missing).toEqual([]);
  });

  it('a new error code in the sources makes the committed document stale', () => {
    const sources = reference.collectSources(ROOT, load);
    const { current } = reference.generate({ load });
    const drifted = reference.renderSections({ ...sources, graphqlCodes: [...sources.graphqlCodes, 'TEAPOT'] });
    const text = reference.applySections(current, drifted.sections);
    expect(text).not.toEqual(current);
    expect(text).toContain('| `TEAPOT` |');
    expect(drifted.missing).toEqual(['graphql code TEAPOT']);
  });

  it('a hand edit inside a generated section is undone, prose outside is kept', () => {
    const { current, text } = reference.generate({ load });
    const edited = current.replace('| `FORBIDDEN` |', '| `FORBIDDEN_EDITED` |').replace('## Changelog', '## Changelog\n\nprose kept');
    const again = reference.generate({ load, doc: edited }).text;
    expect(again).not.toContain('FORBIDDEN_EDITED');
    expect(again).toContain('prose kept');
    expect(reference.generate({ load, doc: again }).text).toEqual(again);
    expect(text).toEqual(reference.generate({ load, doc: text }).text);
  });

  it('the gRPC table lists every rpc of every service, comments and strings aside, the 1.1 RPCs included', () => {
    const sources = reference.collectSources(ROOT, load);
    expect(reference.renderSections(sources).sections['grpc-services']).toMatch(/`passerelle\.consentaudit\.v1\.Ledger` \| `AppendBatch`[\s\S]*`passerelle\.consentaudit\.v1\.Consents` \| `InForce`/);
    const proto = [
      'syntax = "proto3";',
      'package a.b;',
      '// service Commented { rpc No(A) returns (B); }',
      '/* rpc AlsoNo(A) returns (B); */',
      'service S {',
      '  rpc Multi(',
      '    stream Req',
      '  ) returns (stream Res) { option (x) = { y: "}" }; }',
      '  rpc Two(A) returns (B);',
      '}',
      'message M { string s = 1; }',
      'service T { rpc One(.a.b.X) returns (Y); }',
    ].join('\n');
    const table = reference.renderSections({ ...sources, protos: [{ file: 'x.proto', text: proto }] }).sections['grpc-services'];
    expect(table.split('\n').filter((line) => line.startsWith('| `'))).toEqual([
      '| `a.b.S` | `Multi` | `stream Req` | `stream Res` | `x.proto` |',
      '| `a.b.S` | `Two` | `A` | `B` | `x.proto` |',
      '| `a.b.T` | `One` | `.a.b.X` | `Y` | `x.proto` |',
    ]);
  });

  it('refuses a document whose markers are unknown, unclosed or missing, naming the section', () => {
    const { sections } = reference.renderSections(reference.collectSources(ROOT, load));
    const all = Object.keys(sections).map((name) => `<!-- generated:${name} --><!-- /generated:${name} -->`).join('\n');
    expect(() => reference.applySections(`${all}\n<!-- generated:nope --><!-- /generated:nope -->`, sections)).toThrow('unknown section "nope"');
    expect(() => reference.applySections(all.replace('<!-- /generated:registry-schema -->', ''), sections)).toThrow('"registry-schema" is never closed');
    expect(() => reference.applySections(all.replace(/<!-- \/?generated:proto -->/g, ''), sections)).toThrow('no marker for section(s) proto');
  });
});
