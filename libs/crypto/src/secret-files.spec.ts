import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadGatewayKeys } from './gateway-key';
import { loadPseudonymKeyring } from './pseudonyms';
import { privateFileModeProblem, readSecretFile, SecretFileModeError } from './secret-files';

describe('private key files are refused when group or others may access them (as ssh does)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-secret-files-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it.each([0o600, 0o400, 0o700, 0o100600])('accepts mode %s', (mode) => {
    expect(privateFileModeProblem(mode)).toBeNull();
  });

  it.each([
    [0o644, '0644'],
    [0o640, '0640'],
    [0o604, '0604'],
    [0o620, '0620'],
    [0o602, '0602'],
    [0o601, '0601'],
    [0o100666, '0666'],
  ])('refuses mode %s, naming it', (mode, shown) => {
    expect(privateFileModeProblem(mode)).toBe(`has mode ${shown}: it is accessible by group or others; private keys must be 0600 (run chmod 600)`);
  });

  it('reads a 0600 file and refuses the same file once chmod 644, naming the file and the mode', async () => {
    const file = path.join(dir, 'key.json');
    await fs.writeFile(file, '{}', { mode: 0o600 });
    expect((await readSecretFile(file)).toString()).toBe('{}');
    await fs.chmod(file, 0o644);
    const err = await readSecretFile(file).catch((e) => e);
    expect(err).toBeInstanceOf(SecretFileModeError);
    expect(err.message).toBe(`private key file ${file} has mode 0644: it is accessible by group or others; private keys must be 0600 (run chmod 600)`);
  });

  it('the gateway signing key and the pseudonym keyring are refused at load when readable by others', async () => {
    await loadGatewayKeys(dir);
    await loadPseudonymKeyring(dir);
    const [keyName] = await fs.readdir(path.join(dir, 'gateway-signing')).then((n) => n.filter((x) => x.endsWith('.json')));
    const keyFile = path.join(dir, 'gateway-signing', keyName);
    await fs.chmod(keyFile, 0o644);
    await expect(loadGatewayKeys(dir)).rejects.toThrow(`private key file ${keyFile} has mode 0644`);
    const keyring = path.join(dir, 'pseudonym-keys.json');
    await fs.chmod(keyring, 0o640);
    await expect(loadPseudonymKeyring(dir)).rejects.toThrow(`private key file ${keyring} has mode 0640`);
  });
});
