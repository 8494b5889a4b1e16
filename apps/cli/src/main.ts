#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { groupsFor } from './commands';

/** `passerelle <command>`: one file per command in ./commands, loaded only when named. */
async function main() {
  const program = new Command('passerelle')
    .description('Passerelle: operate and integrate with the federal–provincial data-sharing gateway')
    .showHelpAfterError()
    .exitOverride();
  const args = process.argv.slice(2);
  try {
    for (const group of groupsFor(args)) for (const register of await group.load()) register(program);
    await program.parseAsync(process.argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code?.startsWith('commander.')) process.exit(err.exitCode ?? 2);
    process.stderr.write(`passerelle: ${err.message ?? String(e)}\n`);
    process.exit(1);
  }
}

void main();
