import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * A top-level command and the register functions of its command files, in help order. `load` is
 * an eager-mode import: the files are in the one bundle but evaluated only when loaded, so a
 * command line pays for its own command's dependencies only (NestJS, kafkajs, gRPC, x509…
 * took most of a second before any command ran).
 */
export interface CommandGroup {
  name: string;
  load: () => Promise<Register[]>;
}

/** Every CLI command, by top-level name; add a command file's register function to its group. */
export const commandGroups: CommandGroup[] = [
  { name: 'version', load: async () => [(await import(/* webpackMode: "eager" */ './version.command')).registerVersion] },
  { name: 'publish-matches', load: async () => [(await import(/* webpackMode: "eager" */ './publish-matches.command')).registerPublishMatches] },
  {
    name: 'registry',
    load: async () => [
      (await import(/* webpackMode: "eager" */ './registry-check.command')).registerRegistryCheck,
      (await import(/* webpackMode: "eager" */ './registry-edit.command')).registerRegistryEdit,
    ],
  },
  {
    name: 'keys',
    load: async () => [
      (await import(/* webpackMode: "eager" */ './keys-generate.command')).registerKeysGenerate,
      (await import(/* webpackMode: "eager" */ './keys-rotation.command')).registerKeysRotation,
    ],
  },
  { name: 'request', load: async () => [(await import(/* webpackMode: "eager" */ './request.command')).registerRequest] },
  {
    name: 'demo',
    load: async () => [
      (await import(/* webpackMode: "eager" */ './demo-init.command')).registerDemoInit,
      (await import(/* webpackMode: "eager" */ './demo-seed.command')).registerDemoSeed,
    ],
  },
  {
    name: 'audit',
    load: async () => [
      (await import(/* webpackMode: "eager" */ './audit-verify.command')).registerAuditVerify,
      (await import(/* webpackMode: "eager" */ './audit-equivocation.command')).registerAuditEquivocation,
    ],
  },
  { name: 'witness', load: async () => [(await import(/* webpackMode: "eager" */ './witness.command')).registerWitness] },
  { name: 'certs', load: async () => [(await import(/* webpackMode: "eager" */ './certs.command')).registerCerts] },
];

/**
 * The groups a command line needs: the one its first argument names, or all of them otherwise
 * (`passerelle`, `passerelle --help audit`, `passerelle help audit`, a misspelt command), so the
 * full help and commander's "did you mean" suggestions still see every command. The program has
 * no options of its own, so a command is always the first argument.
 */
export function groupsFor(args: readonly string[], groups: readonly CommandGroup[] = commandGroups): readonly CommandGroup[] {
  const named = groups.filter((g) => g.name === args[0]);
  return named.length ? named : groups;
}
