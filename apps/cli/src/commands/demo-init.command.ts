import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { generateAgencyKeyFile, publicRegistryKey, readAgencyKeyFile } from '@passerelle/client';
import { ensureSecretsDir, writeSecretFile } from '@passerelle/crypto';
import { checkRegistryText, formatProblem, type RegistryDocument, type RegistryKey } from '@passerelle/registry';

/**
 * Makes the effective demo registry: one key per demo agency in <secrets>/agencies/<id>.private.jwk.json
 * (created when absent, reused otherwise) and the template with their public keys added.
 */
export async function demoInit(templateFile: string, secretsDir: string, outFile: string): Promise<{ created: string[]; reused: string[] }> {
  const template = JSON.parse(await fs.readFile(templateFile, 'utf8')) as RegistryDocument & { $schema?: string };
  await ensureSecretsDir(secretsDir);
  const created: string[] = [];
  const reused: string[] = [];
  for (const agency of template.agencies) {
    const file = path.join(secretsDir, 'agencies', `${agency.id}.private.jwk.json`);
    const exists = await fs.stat(file).then(() => true, () => false);
    if (!exists && (await writeSecretFile(file, `${JSON.stringify(await generateAgencyKeyFile(agency.id), null, 2)}\n`)) === 'created') created.push(agency.id);
    else reused.push(agency.id);
    const key = await readAgencyKeyFile(file);
    agency.keys = [...agency.keys.filter((k) => k.kid !== key.kid), publicRegistryKey(key) as RegistryKey];
  }
  delete template.$schema;
  const text = `${JSON.stringify(template, null, 2)}\n`;
  const { problems } = checkRegistryText(text);
  if (problems.length) throw new Error(`the effective registry is invalid:\n${problems.map((p) => formatProblem(outFile, p)).join('\n')}`);
  await fs.mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, outFile);
  return { created, reused };
}

export function registerDemoInit(program: Command) {
  const demo = program.commands.find((c) => c.name() === 'demo') ?? program.command('demo').description('the demo set-up');
  demo
    .command('init')
    .description('generate the demo agencies\' keys (when absent) and write the effective registry with their public keys')
    .option('--registry-template <file>', 'registry template (agencies with keys: [])', 'infra/registry/demo.json')
    .requiredOption('--secrets <dir>', 'secrets directory: keys go to <dir>/agencies/<id>.private.jwk.json')
    .requiredOption('--out <file>', 'where to write the effective registry')
    .action(async (opts: { registryTemplate: string; secrets: string; out: string }) => {
      const { created, reused } = await demoInit(opts.registryTemplate, opts.secrets, opts.out);
      process.stdout.write(`wrote ${opts.out}: ${created.length} key(s) created${created.length ? ` (${created.join(', ')})` : ''}, ${reused.length} reused\n`);
    });
}
