import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { issueCertificates, tlsFilesOf } from './tls-pki';
import { readTlsMaterial } from './tls-material';

describe('the apps\' private PKI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-pki-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('issues a CA and one certificate per app, keys private to their owner, each loadable under its identity', async () => {
    const report = await issueCertificates(dir);
    expect(report.ca).toBe('created');
    expect(report.identities.map((i) => [i.identity, i.action])).toEqual([
      ['consent-audit', 'issued'],
      ['gateway', 'issued'],
      ['job-match-consumer', 'issued'],
    ]);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    for (const identity of ['ca', 'consent-audit', 'gateway', 'job-match-consumer']) {
      expect((await fs.stat(path.join(dir, `${identity}.key`))).mode & 0o777).toBe(0o600);
    }
    for (const identity of ['consent-audit', 'gateway', 'job-match-consumer']) {
      const m = await readTlsMaterial(tlsFilesOf(dir, identity), identity);
      expect(m.identity).toBe(identity);
    }
  });

  it('is idempotent, and rotation re-keys only the identity named', async () => {
    await issueCertificates(dir);
    const before = await fs.readFile(path.join(dir, 'gateway.key'), 'utf8');
    const consumerBefore = await fs.readFile(path.join(dir, 'job-match-consumer.key'), 'utf8');
    const again = await issueCertificates(dir);
    expect(again.ca).toBe('kept');
    expect(again.identities.every((i) => i.action === 'kept')).toBe(true);
    const rotated = await issueCertificates(dir, { rotate: ['gateway'] });
    expect(rotated.identities.find((i) => i.identity === 'gateway')).toMatchObject({ action: 'renewed', reason: 'rotation requested' });
    expect(await fs.readFile(path.join(dir, 'gateway.key'), 'utf8')).not.toBe(before);
    expect(await fs.readFile(path.join(dir, 'job-match-consumer.key'), 'utf8')).toBe(consumerBefore);
    await expect(readTlsMaterial(tlsFilesOf(dir, 'gateway'), 'gateway')).resolves.toMatchObject({ identity: 'gateway' });
  });

  it('renews a certificate that expires within 30 days, and every certificate when the CA is rotated', async () => {
    await issueCertificates(dir, { now: new Date(Date.now() - 340 * 24 * 3600 * 1000) });
    const renewed = await issueCertificates(dir);
    expect(renewed.identities.every((i) => i.action === 'renewed' && i.reason?.startsWith('expires'))).toBe(true);
    const caBefore = await fs.readFile(path.join(dir, 'ca.crt'), 'utf8');
    const newCa = await issueCertificates(dir, { rotateCa: true });
    expect(newCa.ca).toBe('created');
    expect(await fs.readFile(path.join(dir, 'ca.crt'), 'utf8')).not.toBe(caBefore);
    expect(newCa.identities.every((i) => i.action === 'renewed' && i.reason === 'not issued by the current CA')).toBe(true);
  });

  it('refuses at load: a certificate of another CA, a swapped identity, an expired certificate, a key readable by others', async () => {
    await issueCertificates(dir);
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-pki-other-'));
    try {
      await issueCertificates(other);
      const gateway = tlsFilesOf(dir, 'gateway');
      await expect(readTlsMaterial({ ...gateway, ca: path.join(other, 'ca.crt') }, 'gateway')).rejects.toThrow(
        `the certificate ${gateway.cert} was not issued by the CA in ${path.join(other, 'ca.crt')}`,
      );
      await expect(readTlsMaterial(gateway, 'job-match-consumer')).rejects.toThrow(`the certificate ${gateway.cert} is issued to "gateway", not to job-match-consumer`);
      await expect(readTlsMaterial({ ...gateway, key: path.join(dir, 'job-match-consumer.key') }, 'gateway')).rejects.toThrow('does not match the certificate');
      await expect(readTlsMaterial(gateway, 'gateway', new Date(Date.now() + 400 * 24 * 3600 * 1000))).rejects.toThrow(/expired on .*passerelle certs rotate/);
      await fs.chmod(gateway.key, 0o640);
      await expect(readTlsMaterial(gateway, 'gateway')).rejects.toThrow(`private key file ${gateway.key} has mode 0640: it is accessible by group or others`);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});
