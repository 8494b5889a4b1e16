import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { RegistryHolder } from './holder';
import { loadRegistryFile, RegistryError } from './load';

function doc(status: 'active' | 'revoked') {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
  return {
    gatewayId: 'gw',
    agencies: [{ id: 'qc.mifi', names: { en: 'a', fr: 'b' }, jurisdiction: 'QC', roles: ['PROVIDER'], keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'k1', alg: 'EdDSA', status }] }],
    agreements: [],
    programs: [],
  };
}

describe('RegistryHolder', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-holder-'));
    file = path.join(dir, 'registry.json');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('loadRegistryFile throws RegistryError listing every problem with FILE:LINE', async () => {
    await fs.writeFile(file, '{\n "gatewayId": 1\n}');
    const err = await loadRegistryFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).problems.length).toBeGreaterThanOrEqual(4);
    expect((err as RegistryError).message).toContain(`${file}:2 /gatewayId: must be of type string`);
  });

  it('names a missing file', async () => {
    await expect(loadRegistryFile(path.join(dir, 'nope.json'))).rejects.toThrow(/cannot read the file: ENOENT/);
  });

  it('reloads a valid file, notifies listeners, and keeps the old registry when the new file is invalid', async () => {
    await fs.writeFile(file, JSON.stringify(doc('active')));
    const errors: unknown[] = [];
    const logger = { info: () => undefined, error: (o: unknown) => errors.push(o) } as never;
    const holder = await RegistryHolder.load(file, logger);
    const first = holder.current();
    expect(first.key('qc.mifi', 'k1')?.status).toBe('active');
    const seen: string[] = [];
    holder.onReload((r) => seen.push(r.gatewayId));

    const revoked = doc('revoked');
    await fs.writeFile(file, JSON.stringify(revoked));
    expect(await holder.reload()).toBe(true);
    expect(holder.current().key('qc.mifi', 'k1')?.status).toBe('revoked');
    expect(first.key('qc.mifi', 'k1')?.status).toBe('active'); // in-flight requests keep their snapshot
    expect(seen).toEqual(['gw']);

    await fs.writeFile(file, '{ not json');
    expect(await holder.reload()).toBe(false);
    expect(holder.current().key('qc.mifi', 'k1')?.status).toBe('revoked');
    expect(errors).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });
});
