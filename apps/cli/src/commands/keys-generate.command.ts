import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { generateAgencyKeyFile, publicRegistryKey, type AgencyAlg } from '@passerelle/client';
import { writeSecretFile } from '@passerelle/crypto';

/** `passerelle keys generate --agency ID --out DIR [--alg EdDSA|ES256]` */
export function registerKeysGenerate(program: Command) {
  const keys = program.commands.find((c) => c.name() === 'keys') ?? program.command('keys').description('keys: agencies\' signing keys, the gateway\'s signing key, the pseudonym keyring');
  keys
    .command('generate')
    .description('generate an agency signing key: the private JWK stays with you (0600), the public one goes in the registry')
    .requiredOption('--agency <id>', 'agency id, e.g. qc.mifi')
    .requiredOption('--out <dir>', 'directory for <agency>.private.jwk.json and <agency>.public.jwk.json')
    .option('--alg <alg>', 'EdDSA (Ed25519) or ES256 (P-256)', 'EdDSA')
    .action(async (opts: { agency: string; out: string; alg: string }) => {
      if (opts.alg !== 'EdDSA' && opts.alg !== 'ES256') throw new Error(`--alg must be EdDSA or ES256 (got ${opts.alg})`);
      if (!/^[a-z][a-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$/.test(opts.agency)) throw new Error(`--agency must be an agency id such as qc.mifi (got ${JSON.stringify(opts.agency)})`);
      const key = await generateAgencyKeyFile(opts.agency, opts.alg as AgencyAlg);
      const privateFile = path.join(opts.out, `${opts.agency}.private.jwk.json`);
      if ((await writeSecretFile(privateFile, `${JSON.stringify(key, null, 2)}\n`)) === 'exists') {
        throw new Error(`${privateFile} already exists; refusing to overwrite a key (move it away first)`);
      }
      const pub = publicRegistryKey(key);
      const publicFile = path.join(opts.out, `${opts.agency}.public.jwk.json`);
      await fs.writeFile(publicFile, `${JSON.stringify(pub, null, 2)}\n`, { mode: 0o644 });
      process.stderr.write(`private key: ${privateFile} (keep it secret)\npublic key: ${publicFile} (add it to the agency's "keys" in the registry):\n`);
      process.stdout.write(`${JSON.stringify(pub, null, 2)}\n`);
    });
}
