import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { loadGatewayKeys, signAsGateway } from './gateway-key';
import { GatewayKeyRefused, listGatewayKeys, PublishedGatewayKeys, retireGatewayKey, rotateGatewayKey } from './gateway-key-rotation';

describe('gateway key rotation: the old key verifies until retired', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-rot-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a response signed before the rotation still verifies against the JWKS after it; after retire-gateway it no longer does', async () => {
    const before = await loadGatewayKeys(dir);
    const signed = await signAsGateway(before, 'response+jwt', { audit_seq: 1 });
    const { kid, superseded } = await rotateGatewayKey(dir);
    expect(superseded).toEqual([before.active.kid]);

    const after = await loadGatewayKeys(dir);
    expect(after.active.kid).toBe(kid);
    expect(after.jwks.keys.map((k) => k.kid)).toEqual([kid, before.active.kid]);
    await expect(compactVerify(signed, createLocalJWKSet(after.jwks))).resolves.toMatchObject({ protectedHeader: { kid: before.active.kid } });
    const published = new PublishedGatewayKeys(dir);
    expect((await published.read()).map((k) => k.kid)).toEqual([kid, before.active.kid]);

    await retireGatewayKey(dir, before.active.kid);
    const retired = await loadGatewayKeys(dir);
    expect(retired.jwks.keys.map((k) => k.kid)).toEqual([kid]);
    expect((await published.read()).map((k) => k.kid)).toEqual([kid]);
    await expect(compactVerify(signed, createLocalJWKSet(retired.jwks))).rejects.toThrow();
    expect((await listGatewayKeys(dir)).map((k) => [k.kid, k.state])).toEqual([
      [kid, 'active'],
      [before.active.kid, 'retired'],
    ]);
    for (const f of fs.readdirSync(path.join(dir, 'gateway-signing'))) {
      if (f.endsWith('.json')) expect(fs.statSync(path.join(dir, 'gateway-signing', f)).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses to retire the active key, an unknown kid, or a key twice; refuses to rotate where there is no key', async () => {
    const keys = await loadGatewayKeys(dir);
    await expect(retireGatewayKey(dir, keys.active.kid)).rejects.toThrow(new GatewayKeyRefused(`'${keys.active.kid}' is the active gateway key: rotate first (passerelle keys rotate-gateway), restart the gateway and consent-audit, then retire it`));
    await expect(retireGatewayKey(dir, 'gateway-nope')).rejects.toThrow(`no gateway key 'gateway-nope'`);
    await rotateGatewayKey(dir);
    await retireGatewayKey(dir, keys.active.kid);
    await expect(retireGatewayKey(dir, keys.active.kid)).rejects.toThrow('is already retired');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-empty-'));
    await expect(rotateGatewayKey(empty)).rejects.toThrow(/no gateway key in .*gateway-signing: is --secrets the apps' PASSERELLE_SECRETS_DIR/);
    fs.rmSync(empty, { recursive: true });
  });
});
