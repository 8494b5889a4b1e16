import { benchTrustOff, TRUST_OFF_ACK, TRUST_OFF_ACK_ENV, TRUST_OFF_ENV, TrustOffRefused, unverifiedCaller } from './bench-trust-off';

const ACK = { [TRUST_OFF_ACK_ENV]: TRUST_OFF_ACK };

describe('bench-only trust-off switch', () => {
  it('is off when the flag is unset or empty, whatever else is set', () => {
    expect(benchTrustOff({})).toBe(false);
    expect(benchTrustOff({ NODE_ENV: 'production', ...ACK })).toBe(false);
    expect(benchTrustOff({ [TRUST_OFF_ENV]: '', NODE_ENV: 'production', ...ACK })).toBe(false);
  });

  it('refuses to start without NODE_ENV=production', () => {
    for (const NODE_ENV of [undefined, 'development', 'test', 'PRODUCTION']) {
      expect(() => benchTrustOff({ [TRUST_OFF_ENV]: '1', NODE_ENV, ...ACK })).toThrow(TrustOffRefused);
      expect(() => benchTrustOff({ [TRUST_OFF_ENV]: '1', NODE_ENV, ...ACK })).toThrow(/NODE_ENV=production/);
    }
  });

  it('refuses to start without the exact acknowledgement', () => {
    for (const ack of [undefined, '', 'yes', `${TRUST_OFF_ACK} `, TRUST_OFF_ACK.toUpperCase()]) {
      const env = { [TRUST_OFF_ENV]: '1', NODE_ENV: 'production', ...(ack === undefined ? {} : { [TRUST_OFF_ACK_ENV]: ack }) };
      expect(() => benchTrustOff(env)).toThrow(TrustOffRefused);
      expect(() => benchTrustOff(env)).toThrow(new RegExp(TRUST_OFF_ACK_ENV));
    }
  });

  it('refuses with neither guard, and refuses values other than 1', () => {
    expect(() => benchTrustOff({ [TRUST_OFF_ENV]: '1' })).toThrow(TrustOffRefused);
    expect(() => benchTrustOff({ [TRUST_OFF_ENV]: 'true', NODE_ENV: 'production', ...ACK })).toThrow(TrustOffRefused);
  });

  it('is on only with the flag and both guards', () => {
    expect(benchTrustOff({ [TRUST_OFF_ENV]: '1', NODE_ENV: 'production', ...ACK })).toBe(true);
  });

  it('reads the claimed caller from an undecodable or decodable header without verifying it', () => {
    expect(unverifiedCaller(undefined)).toBeUndefined();
    expect(unverifiedCaller('not-a-jws')).toBeUndefined();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = { iss: 'ca.esdc', aud: 'g', iat: 100, exp: 160, jti: 'abcdefghijklmnopqrst', htm: 'POST', htu: '/graphql', purpose: 'JOB_MATCHING', body_sha256: 'A'.repeat(43) };
    const jws = `${b64({ alg: 'EdDSA', kid: 'k1', typ: 'agency-request+jwt' })}.${b64(claims)}.AAAA`;
    expect(unverifiedCaller(jws)).toEqual({ agency: 'ca.esdc', kid: 'k1', jti: 'abcdefghijklmnopqrst', purpose: 'JOB_MATCHING', exp: 160 });
  });
});
