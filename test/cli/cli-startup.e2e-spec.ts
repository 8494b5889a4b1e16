import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runApp } from '@passerelle/testing';

/**
 * The built CLI loads only what the command it runs needs: an operator's `passerelle registry
 * check` used to load NestJS, gRPC, kafkajs and x509 before parsing its arguments (≈ 0.7–1.2 s a
 * command). Checked by the packages a run loaded, not by a clock.
 */
describe('passerelle starts with only its command’s dependencies', () => {
  let dir: string;
  let hook: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-startup-'));
    hook = path.join(dir, 'loaded.js');
    // Preloaded into the CLI: at exit, the packages under node_modules it required, one per line.
    await fs.writeFile(
      hook,
      `process.on('exit', () => {
        const packages = new Set(Object.keys(require.cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
        require('node:fs').writeFileSync(process.env.LOADED_OUT, [...packages].sort().join('\\n'));
      });`,
    );
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function loadedBy(...args: string[]) {
    const out = path.join(dir, `${args.join('_').replace(/[^a-z0-9_-]/gi, '')}.txt`);
    const r = await runApp('cli', args, { NODE_OPTIONS: `--require ${hook}`, LOADED_OUT: out });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, packages: (await fs.readFile(out, 'utf8')).split('\n').filter(Boolean) };
  }

  it('runs the operators’ everyday commands without NestJS, gRPC, kafkajs, PostgreSQL or Fastify', async () => {
    const heavy = /^(@nestjs\/|@grpc\/|rxjs$|kafkajs$|pg$|fastify$|typeorm$)/;
    for (const args of [
      ['registry', 'check', '--help'],
      ['registry', 'add-agency', '--help'],
      ['audit', 'verify', '--help'],
      ['request', '--help'],
      ['version'],
    ]) {
      const run = await loadedBy(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      expect({ args, heavy: run.packages.filter((p) => heavy.test(p)) }).toEqual({ args, heavy: [] });
      expect(run.packages).toContain('commander'); // the hook did see the run
    }
  });

  it('still lists every command in the full help, and suggests one for a misspelt name', async () => {
    const help = await loadedBy('--help');
    expect(help.code).toBe(0);
    for (const name of ['version', 'publish-matches', 'registry', 'keys', 'request', 'demo', 'audit', 'witness', 'certs']) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    const typo = await loadedBy('regsitry', 'check');
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("unknown command 'regsitry'");
    expect(typo.stderr).toContain('registry');
  });
});
