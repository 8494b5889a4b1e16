import { cosigner, ed25519Signer, formatVkey, generateKeyPair, SIG_COSIGNATURE_V1, SIG_ED25519, signCheckpoint } from '@passerelle/checkpoint';
import { checkPolicy, parsePolicy, witnessStatuses } from './witnesses';

// The note and keys come from libs/checkpoint (the format the log and witnesses write); the page checks them with WebCrypto alone.
const log = generateKeyPair('passerelle/ledger', SIG_ED25519);
const cai = generateKeyPair('qc.cai', SIG_COSIGNATURE_V1);
const opc = generateKeyPair('ca.opc', SIG_COSIGNATURE_V1);
const keys = [cai, opc].map((k) => ({ name: k.name, vkey: formatVkey(k.name, SIG_COSIGNATURE_V1, k.publicKey) }));
const T = 1_790_000_000;
const note = signCheckpoint({ origin: 'passerelle/ledger', size: 42, rootHash: Buffer.alloc(32, 1), extensions: [] }, [ed25519Signer(log), cosigner(cai, () => T)]);

describe('witness status in the console', () => {
  it("verifies each witness's cosignature with its registry key: ok with size and time, or missing", async () => {
    expect(await witnessStatuses(note, keys)).toEqual([
      { name: 'qc.cai', state: 'ok', size: 42, time: T },
      { name: 'ca.opc', state: 'missing' },
    ]);
  });

  it('calls a cosignature moved onto another root, or checked with another key of the same name, invalid', async () => {
    const lines = note.split('\n');
    lines[2] = Buffer.alloc(32, 2).toString('base64');
    expect((await witnessStatuses(lines.join('\n'), keys))[0]).toMatchObject({ name: 'qc.cai', state: 'invalid' });
    const impostor = generateKeyPair('qc.cai', SIG_COSIGNATURE_V1);
    // Another key of that name: its key ID differs, so the line is not its cosignature at all.
    expect((await witnessStatuses(note, [{ name: 'qc.cai', vkey: formatVkey('qc.cai', SIG_COSIGNATURE_V1, impostor.publicKey) }]))[0].state).toBe('missing');
    // A log key (type 0x01) is never taken for a witness key.
    expect((await witnessStatuses(note, [{ name: 'x', vkey: formatVkey('passerelle/ledger', SIG_ED25519, log.publicKey) }]))[0]).toMatchObject({ state: 'invalid', detail: 'not a cosignature/v1 key' });
  });

  it('checks a policy and names the missing witnesses', async () => {
    const statuses = await witnessStatuses(note, keys);
    expect(checkPolicy(parsePolicy('1 of {qc.cai, ca.opc}'), statuses)).toEqual({ satisfied: true, cosigned: ['qc.cai'], missing: [] });
    expect(checkPolicy(parsePolicy('all of {qc.cai, ca.opc}'), statuses)).toEqual({ satisfied: false, cosigned: ['qc.cai'], missing: ['ca.opc'] });
    expect(checkPolicy(parsePolicy('any of {on.ipc}'), statuses)).toEqual({ satisfied: false, cosigned: [], missing: ['on.ipc'] });
    expect(() => parsePolicy('3 of {a, b}')).toThrow(/from 1 to 2/);
    expect(() => parsePolicy('two of {a}')).toThrow(/a policy reads/);
  });
});
