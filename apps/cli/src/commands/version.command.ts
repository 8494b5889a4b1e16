import type { Command } from 'commander';

export function registerVersion(program: Command) {
  program
    .command('version')
    .description('print the contract version this CLI speaks')
    .action(() => {
      process.stdout.write('passerelle contract v1\n');
    });
}
