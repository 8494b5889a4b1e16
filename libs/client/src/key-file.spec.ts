import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateAgencyKeyFile, readAgencyKeyFile } from './key-file';

describe('agency key files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-key-file-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('an agency private key readable by group or others is refused at load, naming the file and its mode', async () => {
    const file = path.join(dir, 'qc.mifi.private.jwk.json');
    const key = await generateAgencyKeyFile('qc.mifi');
    await fs.writeFile(file, JSON.stringify(key), { mode: 0o600 });
    await expect(readAgencyKeyFile(file)).resolves.toMatchObject({ kid: key.kid });
    await fs.chmod(file, 0o644);
    await expect(readAgencyKeyFile(file)).rejects.toThrow(`private key file ${file} has mode 0644: it is accessible by group or others; private keys must be 0600 (run chmod 600)`);
  });

  it('still names a missing file plainly', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(readAgencyKeyFile(file)).rejects.toThrow(`cannot read key file ${file}: ENOENT`);
  });
});
