import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { checkRegistryText, formatProblem } from '@passerelle/registry';

/** `passerelle registry check FILE`: names every problem as FILE:LINE pointer: message. */
export function registerRegistryCheck(program: Command) {
  const registry = program.commands.find((c) => c.name() === 'registry') ?? program.command('registry').description('work with the registry file (agencies, keys, agreements)');
  registry
    .command('check')
    .argument('<file>', 'registry JSON file')
    .description('validate a registry file: JSON, schema, references, keys; exit 1 naming every problem')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        process.stderr.write(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const { registry: doc, problems } = checkRegistryText(text);
      if (!doc) {
        for (const p of problems) process.stdout.write(`${formatProblem(file, p)}\n`);
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`ok: ${doc.agencies.length} agencies, ${doc.agreements.length} agreements\n`);
    });
}
