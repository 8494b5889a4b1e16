import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONSOLE_CSP, ConsoleFiles } from './console-files';

describe('ConsoleFiles', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-files-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'export {}');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc.css'), 'body{}');
    fs.writeFileSync(path.join(dir, 'assets', 'notes.md'), '# not served');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves only the files of the build, with their content types', () => {
    const files = ConsoleFiles.load(['/nonexistent', dir]);
    expect(files.built).toBe(true);
    expect(files.lookup('')?.contentType).toBe('text/html; charset=utf-8');
    expect(files.lookup('assets/index-abc.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', immutable: true });
    expect(files.lookup('assets/index-abc.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(files.lookup('index.html')?.immutable).toBe(false);
    expect(files.lookup('assets/notes.md')).toBeUndefined();
    expect(files.lookup('../package.json')).toBeUndefined();
    expect(files.lookup('assets/../index.html')).toBeUndefined();
  });

  it('knows when the console is not built', () => {
    expect(ConsoleFiles.load(['/nonexistent']).built).toBe(false);
  });

  it('allows nothing from other origins, no inline code and no framing', () => {
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe|https?:|\*/);
  });
});
