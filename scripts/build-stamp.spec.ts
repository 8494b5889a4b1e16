import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildInputsDigest, buildIsCurrent, writeStamp, removeStamp } = require('./build-stamp') as {
  buildInputsDigest(root: string, nodeVersion?: string): string;
  buildIsCurrent(root: string, apps: string[], digest?: string): boolean;
  writeStamp(root: string, digest: string): void;
  removeStamp(root: string): void;
};

describe('build stamp (build once per set of sources)', () => {
  let root: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const built = () => {
    write('dist/apps/gateway/main.js', 'bundle');
    write('dist/console/index.html', '<html>');
    writeStamp(root, buildInputsDigest(root));
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-stamp-'));
    write('apps/gateway/src/main.ts', 'export const a = 1;');
    write('libs/crypto/src/index.ts', 'export const b = 2;');
    write('package-lock.json', '{}');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('says current right after a build of the same sources', () => {
    built();
    expect(buildIsCurrent(root, ['gateway'])).toBe(true);
  });

  it('is never current without a stamp, or with an output missing', () => {
    write('dist/apps/gateway/main.js', 'bundle');
    write('dist/console/index.html', '<html>');
    expect(buildIsCurrent(root, ['gateway'])).toBe(false);
    built();
    fs.rmSync(path.join(root, 'dist/console/index.html'));
    expect(buildIsCurrent(root, ['gateway'])).toBe(false);
    built();
    expect(buildIsCurrent(root, ['gateway', 'cli'])).toBe(false);
    removeStamp(root);
    expect(buildIsCurrent(root, ['gateway'])).toBe(false);
  });

  it.each([
    ['a source edited', () => write('apps/gateway/src/main.ts', 'export const a = 2;')],
    ['a source added', () => write('libs/crypto/src/extra.ts', '')],
    ['a source removed', () => fs.rmSync(path.join(root, 'libs/crypto/src/index.ts'))],
    ['a source renamed', () => fs.renameSync(path.join(root, 'libs/crypto/src/index.ts'), path.join(root, 'libs/crypto/src/index2.ts'))],
    ['a proto file added', () => write('proto/passerelle/x.proto', 'syntax = "proto3";')],
    ['the lock file changed', () => write('package-lock.json', '{"lockfileVersion":3}')],
    ['bytes moved between two files', () => (write('apps/gateway/src/main.ts', 'export const a = 1;export'), write('libs/crypto/src/index.ts', ' const b = 2;'))],
  ])('is stale once %s', (_what, change) => {
    built();
    change();
    expect(buildIsCurrent(root, ['gateway'])).toBe(false);
  });

  it('ignores what no bundle is built from: spec files, node_modules, dist itself', () => {
    built();
    write('apps/gateway/src/main.spec.ts', 'it("x", () => undefined);');
    write('libs/crypto/node_modules/x/index.js', '');
    write('dist/apps/gateway/main.js.map', '{}');
    expect(buildIsCurrent(root, ['gateway'])).toBe(true);
  });

  it('differs for another Node.js', () => {
    expect(buildInputsDigest(root, 'v20.20.2')).not.toBe(buildInputsDigest(root, 'v22.11.0'));
    expect(buildInputsDigest(root, 'v20.20.2')).toBe(buildInputsDigest(root, 'v20.20.2'));
  });
});
