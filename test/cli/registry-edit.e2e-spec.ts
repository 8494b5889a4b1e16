import fs from 'node:fs/promises';
import path from 'node:path';
import { GatewayClient, readAgencyKeyFile } from '@passerelle/client';
import { checkRegistryText, unifiedDiff } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, runApp, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * `passerelle registry add-agency|add-key|retire-key|revoke-key|add-agreement|add-collector`, run
 * as built, against a registry file that a real gateway and consent-audit load and reload.
 */
describe('passerelle registry edit commands: no hand editing', () => {
  let registry: TestRegistry;
  let db: TestDatabase;
  let stack: TrustStack;
  let pidfiles: string[];

  beforeAll(async () => {
    [registry, db] = await Promise.all([createTestRegistry(), createTestDatabase('clireg')]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    pidfiles = [path.join(registry.dir, 'gateway.pid'), path.join(registry.dir, 'consent-audit.pid')];
    await fs.writeFile(pidfiles[0], `${stack.gateway.app.proc.pid}\n`);
    await fs.writeFile(pidfiles[1], `${stack.consentAudit.app.proc.pid}\n`);
  });
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  const cli = (...args: string[]) => runApp('cli', args);
  const read = () => fs.readFile(registry.file, 'utf8');
  const reloads = (lines: string[]) => lines.filter((l) => l.includes('registry reloaded')).length;
  async function reloaded(before: number) {
    for (let i = 0; i < 200 && reloads(stack.gateway.app.lines) === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(reloads(stack.gateway.app.lines)).toBe(before + 1);
  }

  it('every edit command has --help naming --write', async () => {
    for (const cmd of ['add-agency', 'add-key', 'retire-key', 'revoke-key', 'add-agreement', 'add-collector', 'set', 'append']) {
      const r = await cli('registry', cmd, '--help');
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain('--write');
    }
  });

  it('previews a change as a unified diff and leaves the file alone without --write', async () => {
    const before = await read();
    const r = await cli('registry', 'add-agency', registry.file, '--id', 'nb.preview', '--name-en', 'Preview', '--name-fr', 'Aperçu', '--jurisdiction', 'NB', '--role', 'CONSUMER');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^--- .*registry\.json\n\+\+\+ .*registry\.json \(edited\)\n@@ -\d+,\d+ \+\d+,\d+ @@\n/);
    expect(r.stdout).toContain('+      "id": "nb.preview",');
    expect(r.stderr).toContain('not written (preview only): run again with --write to apply');
    expect(await read()).toBe(before);
  });

  it('adds an agency and its key with --write, the gateway reloads on --reload, and the new agency is served (refused before)', async () => {
    const keyDir = path.join(registry.dir, 'k');
    expect((await cli('keys', 'generate', '--agency', 'nb.petl', '--out', keyDir)).code).toBe(0);
    const priv = await readAgencyKeyFile(path.join(keyDir, 'nb.petl.private.jwk.json'));
    const client = new GatewayClient({ url: stack.gateway.url, agency: 'nb.petl', kid: priv.kid, privateKey: priv, gatewayId: registry.document.gatewayId });
    const query = '{ gatewayInfo { contractVersion } }';
    expect((await client.graphql(query, undefined, 'STATISTICS')).status).toBe(401);

    const before = await read();
    const agency = await cli('registry', 'add-agency', registry.file, '--id', 'nb.petl', '--name-en', 'New Brunswick PETL', '--name-fr', 'Nouveau-Brunswick EPFT', '--jurisdiction', 'NB', '--role', 'CONSUMER', '--write');
    expect(agency.code).toBe(0);
    expect(agency.stderr).toContain('send SIGHUP to the gateway, consent-audit and the job-match consumer');
    // Only additions: nothing the operator wrote before was rewritten.
    expect(unifiedDiff(before, await read(), 'f').split('\n').filter((l) => /^-(?!--)/.test(l))).toEqual([]);
    const reloadsBefore = reloads(stack.gateway.app.lines);
    const key = await cli('registry', 'add-key', registry.file, '--agency', 'nb.petl', '--key', path.join(keyDir, 'nb.petl.public.jwk.json'), '--yes', '--reload', pidfiles[0], '--reload', pidfiles[1]);
    expect(key.code).toBe(0);
    expect(key.stderr).toContain(`sent SIGHUP to process ${stack.gateway.app.proc.pid}`);
    await reloaded(reloadsBefore);

    const after = await read();
    expect(checkRegistryText(after).problems).toEqual([]);
    const doc = JSON.parse(after);
    expect(doc.agencies.at(-1)).toMatchObject({ id: 'nb.petl', roles: ['CONSUMER'], keys: [{ kid: priv.kid, status: 'active' }] });
    expect(after).not.toContain(priv.d as string);
    expect((await client.graphql(query, undefined, 'STATISTICS')).status).toBe(200);
  });

  it('adds an agreement and a consent collector that pass the check', async () => {
    const agreement = await cli('registry', 'add-agreement', registry.file, '--id', 'dsa-ircc-petl-stats', '--provider', 'ca.ircc', '--consumer', 'nb.petl', '--purpose', 'STATISTICS', '--field', 'province', '--field', 'nocCode', '--from', '2026-01-01', '--to', '2027-12-31', '--legal-basis', 'Statistics Act s. 13', '--write');
    expect(agreement.code).toBe(0);
    const collector = await cli('registry', 'add-collector', registry.file, '--agency', 'ca.ircc', '--purpose', 'JOB_MATCHING', '--recipient', 'nb.petl', '--write');
    expect(collector.code).toBe(0);
    const doc = JSON.parse(await read());
    expect(doc.agreements.at(-1)).toEqual({ id: 'dsa-ircc-petl-stats', provider: 'ca.ircc', consumer: 'nb.petl', purposes: ['STATISTICS'], fields: ['province', 'nocCode'], validFrom: '2026-01-01', validTo: '2027-12-31', legalBasis: 'Statistics Act s. 13' });
    expect(doc.consentCollectors.at(-1)).toEqual({ agency: 'ca.ircc', purposes: ['JOB_MATCHING'], recipients: ['nb.petl'] });
    expect((await cli('registry', 'check', registry.file)).code).toBe(0);
  });

  it('set and append edit any other part of the file by JSON pointer (items by id), within the check', async () => {
    const set = await cli('registry', 'set', registry.file, '/agreements/dsa-ircc-petl-stats/validTo', '--value', '"2028-06-30"', '--write');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('-      "validTo": "2027-12-31",\n+      "validTo": "2028-06-30",');
    const limit = await cli('registry', 'set', registry.file, '/agencies/nb.petl/rateLimit', '--value', '{"requestsPerMinute": 600}', '--write');
    expect(limit.code).toBe(0);
    const append = await cli('registry', 'append', registry.file, '/agreements/dsa-ircc-petl-stats/fields', '--value', '"claimStatus"', '--write');
    expect(append.code).toBe(0);
    const doc = JSON.parse(await read());
    expect(doc.agreements.at(-1)).toMatchObject({ validTo: '2028-06-30', fields: ['province', 'nocCode', 'claimStatus'] });
    expect(doc.agencies.find((a: { id: string }) => a.id === 'nb.petl').rateLimit).toEqual({ requestsPerMinute: 600 });

    const before = await read();
    const cases: Array<[string[], RegExp]> = [
      [['set', registry.file, '/agreements/dsa-ircc-petl-stats/validTo', '--value', '2028-06-30', '--write'], /--value is not JSON \(a string needs its quotes/],
      [['set', registry.file, '/agreements/dsa-ircc-petl-stats/validTo', '--value', '"2028-02-30"', '--write'], /would not pass `passerelle registry check`:\n.*\/agreements\/\d+\/validTo/],
      [['set', registry.file, '/agreements/no-such/validTo', '--value', '"2028-01-01"', '--write'], /\/agreements\/no-such: no such item/],
      [['append', registry.file, '/agreements/dsa-ircc-petl-stats/fields', '--value', '"shoeSize"', '--write'], /would not pass/],
      [['append', registry.file, '/gatewayId', '--value', '"x"', '--write'], /\/gatewayId is not an array/],
      [['set', registry.file, '/gatewayId', '--write'], /give exactly one of --value JSON or --value-file FILE/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('registry', ...args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(r.stderr).toMatch(message);
    }
    expect(await read()).toBe(before);
  });

  it('refuses what the check refuses, names the problem, writes nothing and never prints a private key', async () => {
    const before = await read();
    const privateFile = path.join(registry.dir, 'k', 'nb.petl.private.jwk.json');
    const priv = await readAgencyKeyFile(privateFile);
    const cases: Array<[string[], RegExp]> = [
      [['add-key', registry.file, '--agency', 'qc.mifi', '--key', privateFile, '--write'], /kid '.*' is already in the registry \(agency 'nb\.petl'\)/],
      [['add-agreement', registry.file, '--id', 'dsa-x', '--provider', 'on.mltsd', '--consumer', 'ca.esdc', '--purpose', 'STATISTICS', '--field', 'province', '--from', '2026-01-01', '--to', '2026-12-31', '--legal-basis', 'x', '--write'], /would not pass `passerelle registry check`:\n.*registry\.json:\d+ \/agreements\/\d+\/provider: .*on\.mltsd/],
      [['add-agreement', registry.file, '--id', 'dsa-y', '--provider', 'ca.ircc', '--consumer', 'ca.esdc', '--purpose', 'GOSSIP', '--field', 'province', '--from', '2026-01-01', '--to', '2026-12-31', '--legal-basis', 'x', '--write'], /--purpose "GOSSIP" is not one of JOB_MATCHING/],
      [['add-agreement', registry.file, '--id', 'dsa-z', '--provider', 'ca.ircc', '--consumer', 'ca.esdc', '--purpose', 'STATISTICS', '--field', 'province', '--from', '2026-12-31', '--to', '2026-01-01', '--legal-basis', 'x', '--write'], /--from 2026-12-31 is after --to 2026-01-01/],
      [['add-collector', registry.file, '--agency', 'ca.esdc', '--purpose', 'JOB_MATCHING', '--recipient', 'ca.esdc', '--write'], /names itself as a recipient/],
      [['add-agency', registry.file, '--id', 'qc.mifi', '--name-en', 'x', '--name-fr', 'x', '--jurisdiction', 'QC', '--role', 'PROVIDER', '--write'], /agency 'qc\.mifi' already exists/],
      [['retire-key', registry.file, '--kid', 'no-such-kid', '--write'], /no key with kid 'no-such-kid' in the registry/],
      [['add-key', path.join(registry.dir, 'missing.json'), '--agency', 'qc.mifi', '--key', privateFile, '--write'], /missing\.json: cannot read: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('registry', ...args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(priv.d as string);
    }
    // A private JWK under a kid of its own: refused by the check, the secret never shown.
    const renamed = path.join(registry.dir, 'k', 'renamed.private.jwk.json');
    await fs.writeFile(renamed, JSON.stringify({ ...priv, kid: 'nb-petl-fresh' }), { mode: 0o600 });
    const leak = await cli('registry', 'add-key', registry.file, '--agency', 'nb.petl', '--key', renamed, '--write');
    expect({ code: leak.code, stdout: leak.stdout }).toEqual({ code: 1, stdout: '' });
    expect(leak.stderr).toMatch(/private key material \('d'\) must never be in the registry/);
    expect(leak.stderr).not.toContain(priv.d as string);
    expect(await read()).toBe(before);
  });

  it('retires then revokes a key by kid; after the reload the revoked key is refused', async () => {
    const kid = JSON.parse(await read()).agencies.find((a: { id: string }) => a.id === 'nb.petl').keys[0].kid as string;
    const retire = await cli('registry', 'retire-key', registry.file, '--kid', kid, '--write');
    expect(retire.code).toBe(0);
    expect(retire.stdout).toContain('-          "status": "active"');
    expect(retire.stdout).toContain('+          "status": "retired"');
    const again = await cli('registry', 'retire-key', registry.file, '--kid', kid, '--write');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`key '${kid}' of 'nb.petl' is already retired`);

    const reloadsBefore = reloads(stack.gateway.app.lines);
    expect((await cli('registry', 'revoke-key', registry.file, '--kid', kid, '--write', '--reload', pidfiles[0])).code).toBe(0);
    await reloaded(reloadsBefore);
    const priv = await readAgencyKeyFile(path.join(registry.dir, 'k', 'nb.petl.private.jwk.json'));
    const client = new GatewayClient({ url: stack.gateway.url, agency: 'nb.petl', kid, privateKey: priv, gatewayId: registry.document.gatewayId });
    const refused = await client.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('revoked_key');
    const back = await cli('registry', 'retire-key', registry.file, '--kid', kid, '--write');
    expect(back.stderr).toContain('is revoked: a revoked key cannot become retired');
  });
});
