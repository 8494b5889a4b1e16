import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, REPO_ROOT, runApp, startTrustStack, type TestDatabase } from '@passerelle/testing';

/** The registry and exchange commands of the `passerelle` CLI, against a real gateway. */
describe('passerelle CLI: registry check, keys generate, demo init, request', () => {
  let dir: string;
  let db: TestDatabase;

  beforeAll(async () => {
    [dir, db] = await Promise.all([fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-cli-')), createTestDatabase('excli')]);
  });
  afterAll(async () => {
    await db?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('registry check names every problem as FILE:LINE pointer: message and exits 1', async () => {
    const file = path.join(dir, 'bad.json');
    await fs.writeFile(file, '{\n  "gatewayId": "gw",\n  "agencies": [ { "id": "qc.mifi" } ],\n  "agreements": [],\n  "programs": [],\n  "extra": true\n}\n');
    const r = await runApp('cli', ['registry', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:3 /agencies/0: missing required property 'names'`);
    expect(r.stdout).toContain(`${file}:6 /extra: unknown property 'extra'`);
  });

  it('demo init writes a valid registry with one key per agency, idempotently; keys generate writes a 0600 private key', async () => {
    const secrets = path.join(dir, 'secrets');
    const out = path.join(dir, 'registry.json');
    const template = path.join(REPO_ROOT, 'infra/registry/demo.json');
    const first = await runApp('cli', ['demo', 'init', '--registry-template', template, '--secrets', secrets, '--out', out]);
    expect(first.stderr).toBe('');
    const demo = JSON.parse(await fs.readFile(template, 'utf8')) as { agencies: unknown[]; agreements: unknown[] };
    const agencies = demo.agencies.length;
    expect(first.stdout).toContain(`${agencies} key(s) created`);
    const text = await fs.readFile(out, 'utf8');
    const second = await runApp('cli', ['demo', 'init', '--registry-template', template, '--secrets', secrets, '--out', out]);
    expect(second.stdout).toContain(`0 key(s) created, ${agencies} reused`);
    expect(await fs.readFile(out, 'utf8')).toBe(text);
    expect(text).not.toMatch(/"d":/);
    expect((await fs.stat(path.join(secrets, 'agencies', 'qc.mifi.private.jwk.json'))).mode & 0o777).toBe(0o600);
    const check = await runApp('cli', ['registry', 'check', out]);
    expect({ code: check.code, out: check.stdout.trim() }).toEqual({ code: 0, out: `ok: ${agencies} agencies, ${demo.agreements.length} agreements` });

    const gen = await runApp('cli', ['keys', 'generate', '--agency', 'qc.mifi', '--out', path.join(dir, 'k'), '--alg', 'ES256']);
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.stdout)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', status: 'active', kid: expect.stringMatching(/^qc\.mifi-\d{4}-\d{2}-[0-9a-f]{6}$/) });
    expect((await fs.stat(path.join(dir, 'k', 'qc.mifi.private.jwk.json'))).mode & 0o777).toBe(0o600);
    const again = await runApp('cli', ['keys', 'generate', '--agency', 'qc.mifi', '--out', path.join(dir, 'k')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('request signs, sends and verifies; a refusal exits non-zero naming the code', async () => {
    const secrets = path.join(dir, 'secrets');
    const stack = await startTrustStack({ registryFile: path.join(dir, 'registry.json'), databaseUrl: db.url });
    const gw = stack.gateway;
    try {
      const key = path.join(secrets, 'agencies', 'qc.mifi.private.jwk.json');
      const ok = await runApp('cli', ['request', '--gateway', gw.url, '--agency', 'qc.mifi', '--key', key, '--purpose', 'STATISTICS', '--query', '{ gatewayInfo { contractVersion } }']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({ data: { gatewayInfo: { contractVersion: 'v1' } } });
      expect(ok.stderr).toMatch(/verified: HTTP 200, audit_seq \d+/);
      const seq = Number(/audit_seq (\d+)/.exec(ok.stderr)![1]);
      expect((await stack.ledgerEntries())[seq]).toMatchObject({ agency: 'qc.mifi', operation: 'graphql:gatewayInfo', decision: 'PERMIT' });
      // a key of another agency: the gateway refuses, the CLI names the code
      const wrong = path.join(secrets, 'agencies', 'ca.esdc.private.jwk.json');
      const refused = await runApp('cli', ['request', '--gateway', gw.url, '--agency', 'qc.mifi', '--key', wrong, '--purpose', 'STATISTICS', '--query', '{ gatewayInfo { contractVersion } }']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/issuer_mismatch/);
      const badPurpose = await runApp('cli', ['request', '--gateway', gw.url, '--agency', 'qc.mifi', '--key', key, '--purpose', 'CURIOSITY', '--query', '{ x }']);
      expect(badPurpose.code).toBe(1);
      expect(badPurpose.stderr).toMatch(/--purpose must be one of/);
    } finally {
      await stack.stop();
    }
  });
});
