import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { createGatewayKey, loadGatewayKeys, RETIRED_KEY_PUBLISH_MS, signAsGateway } from './gateway-key';
import { retireGatewayKey } from './gateway-key-rotation';

describe('gateway signing keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-keys-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates one key on first load, with 0600 files, and reuses it afterwards', async () => {
    const first = await loadGatewayKeys(dir);
    const again = await loadGatewayKeys(dir);
    expect(again.active.kid).toBe(first.active.kid);
    const files = fs.readdirSync(path.join(dir, 'gateway-signing')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(dir, 'gateway-signing', files[0])).mode & 0o777).toBe(0o600);
    expect(first.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('signs with the active key and verifies with the published JWK', async () => {
    const keys = await loadGatewayKeys(dir);
    const jws = await signAsGateway(keys, 'tree-head+jwt', { tree_size: 1 });
    const { protectedHeader } = await compactVerify(jws, await importJWK(keys.jwks.keys[0], 'EdDSA'));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'tree-head+jwt', kid: keys.active.kid });
  });

  it('keeps a rotated key published until the operator retires it, however long that takes', async () => {
    const old = await loadGatewayKeys(dir);
    const rotatedAt = Date.now();
    await createGatewayKey(dir, new Date(rotatedAt + 1000));
    const soon = await loadGatewayKeys(dir, rotatedAt + 2000);
    expect(soon.active.kid).not.toBe(old.active.kid);
    expect(soon.jwks.keys.map((k) => k.kid)).toEqual([soon.active.kid, old.active.kid]);
    const later = await loadGatewayKeys(dir, rotatedAt + 2000 + 10 * RETIRED_KEY_PUBLISH_MS);
    expect(later.jwks.keys.map((k) => k.kid)).toEqual([soon.active.kid, old.active.kid]);
    await retireGatewayKey(dir, old.active.kid, new Date(rotatedAt + 3000));
    const retired = await loadGatewayKeys(dir, rotatedAt + 4000);
    expect(retired.jwks.keys.map((k) => k.kid)).toEqual([soon.active.kid]);
    expect(retired.publicKeys.has(old.active.kid)).toBe(true);
  });

  it('still honours a key file rotated by an earlier version (retiredAt only): published for the grace period', async () => {
    const legacy = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-legacy-'));
    const first = await loadGatewayKeys(legacy);
    const at = Date.now();
    await createGatewayKey(legacy, new Date(at));
    const file = path.join(legacy, 'gateway-signing', `${first.active.kid}.json`);
    const { supersededAt: _s, ...content } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...content, retiredAt: new Date(at).toISOString() }), { mode: 0o600 });
    const next = await loadGatewayKeys(legacy, at + 1000);
    expect(next.active.kid).not.toBe(first.active.kid);
    expect(next.jwks.keys.map((k) => k.kid)).toContain(first.active.kid);
    expect((await loadGatewayKeys(legacy, at + RETIRED_KEY_PUBLISH_MS + 1)).jwks.keys.map((k) => k.kid)).not.toContain(first.active.kid);
    fs.rmSync(legacy, { recursive: true });
  });
});

describe('first gateway key under concurrent starts', () => {
  it('creates exactly one key when several loaders race on an empty directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-race-'));
    try {
      const loaded = await Promise.all(Array.from({ length: 6 }, () => loadGatewayKeys(dir)));
      expect(new Set(loaded.map((k) => k.active.kid)).size).toBe(1);
      expect(fs.readdirSync(path.join(dir, 'gateway-signing')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
