import { publicTreeHeadJwk, treeHeadKeys } from './tree-head-keys';

const x = 'C8-DgJ2eMMj8jBqVRV9ltL3e2_K0Z9WbJ-sbvP0Nbvc';

describe('tree-head keys', () => {
  it('publishes only the public members of a log key, marked for tree heads', () => {
    expect(publicTreeHeadJwk({ kty: 'OKP', crv: 'Ed25519', x, d: 'secret', kid: 'log-1', key_ops: ['sign'] })).toEqual({ kty: 'OKP', crv: 'Ed25519', x, kid: 'log-1', alg: 'EdDSA', use: 'sig', signs: 'tree-head+jwt' });
  });

  it.each([
    ['not Ed25519', { kty: 'EC', crv: 'P-256', x, kid: 'k' }],
    ['without x', { kty: 'OKP', crv: 'Ed25519', kid: 'k' }],
    ['without kid', { kty: 'OKP', crv: 'Ed25519', x }],
  ])('refuses a key %s', (_, jwk) => {
    expect(publicTreeHeadJwk(jwk)).toBeUndefined();
  });

  it('selects the marked keys only: the gateway response key never verifies a tree head', () => {
    const log = { kty: 'OKP', crv: 'Ed25519', x, kid: 'log-1', signs: 'tree-head+jwt' };
    const gateway = { kty: 'OKP', crv: 'Ed25519', x, kid: 'gateway-1', use: 'sig' };
    expect(treeHeadKeys({ keys: [gateway, log] })).toEqual({ keys: [log] });
    expect(treeHeadKeys({ keys: [gateway] })).toEqual({ keys: [] });
  });
});
