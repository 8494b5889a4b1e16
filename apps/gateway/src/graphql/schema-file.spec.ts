import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const SCRIPT = path.join(ROOT, 'scripts', 'print-schema.js');
const COMMITTED = path.join(ROOT, 'apps', 'gateway', 'schema.graphql');
const run = (args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

// The schema generator loads Nest (ESM-only) and every resolver, so it runs as its own process.
describe('apps/gateway/schema.graphql', () => {
  it('is the schema the resolvers generate (if not: run `npm run schema:print` and commit it)', () => {
    const r = run(['--check']);
    if (r.status !== 0) throw new Error(`${r.stderr || r.stdout}\nThe committed GraphQL schema is stale: run \`npm run schema:print\` and commit apps/gateway/schema.graphql`);
    expect(r.stdout).toContain('is up to date');
  }, 60_000);

  it('the check fails on any difference and names the command to fix it', () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-')), 'schema.graphql');
    fs.writeFileSync(tmp, fs.readFileSync(COMMITTED, 'utf8').replace('claimant(pseudonym: String!)', 'claimant(pseudonym: ID!)'));
    const r = run(['--check', '--file', tmp]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('run `npm run schema:print`');
  }, 60_000);
});
