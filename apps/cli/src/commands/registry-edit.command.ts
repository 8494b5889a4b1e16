import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import {
  addAgencyEdits,
  addAgreementEdits,
  addCollectorEdits,
  addKeyEdits,
  appendEdits,
  setEdits,
  CLAIMANT_FIELDS,
  editRegistryText,
  formatProblem,
  keyStatusEdits,
  PURPOSES,
  RegistryEditRefused,
  ROLES,
  unifiedDiff,
  writeFileAtomically,
  type ClaimantField,
  type Purpose,
  type RegistryEdit,
  type RegistryKey,
  type Role,
} from '@passerelle/registry';

/**
 * `passerelle registry add-agency|add-key|retire-key|revoke-key|add-agreement|add-collector FILE …`,
 * and `registry set|append FILE POINTER` for any other part of the file (programs, new sections):
 * the registry changes an operator makes, without hand editing. Each prints a unified diff; the
 * file is written (atomically) only with --write, or after a "y" at the prompt in a terminal, and
 * only when the result passes `passerelle registry check`.
 */

interface WriteOptions {
  write?: boolean;
  yes?: boolean;
  reload?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

class UsageError extends Error {}

function oneOf<T extends string>(option: string, values: readonly string[], allowed: readonly T[]): T[] {
  for (const v of values) if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${option} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  return [...new Set(values)] as T[];
}

function writeOptions(cmd: Command): Command {
  return cmd
    .option('--write', 'write the file (otherwise only the diff is shown, or asked for in a terminal)')
    .option('--yes', 'same as --write: apply without asking')
    .option('--reload <pidfile>', 'after writing, send SIGHUP to the process whose pid is in this file (repeatable: gateway, consent-audit, job-match consumer)', collect);
}

async function readRegistry(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function confirm(): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question('write these changes? [y/N] ')).trim());
  } finally {
    rl.close();
  }
}

async function sighup(pidfile: string): Promise<string> {
  const text = (await fs.readFile(pidfile, 'utf8').catch(() => '')).trim();
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid < 2) throw new UsageError(`--reload ${pidfile}: no process id in the file`);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    throw new UsageError(`--reload ${pidfile}: cannot signal process ${pid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return `sent SIGHUP to process ${pid} (${pidfile})`;
}

/** Shared by every edit: state the edit, check the result, show the diff, write if asked. */
async function runEdit(file: string, opts: WriteOptions, makeEdits: (text: string) => RegistryEdit[], done: string): Promise<void> {
  try {
    const text = await readRegistry(file);
    const outcome = editRegistryText(text, makeEdits(text));
    if (!outcome.text) {
      process.stderr.write(`refused: after this change ${file} would not pass \`passerelle registry check\`:\n`);
      for (const p of outcome.problems) process.stderr.write(`  ${formatProblem(file, p)}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(unifiedDiff(text, outcome.text, file));
    const apply = opts.write || opts.yes || (process.stdin.isTTY && process.stderr.isTTY && (await confirm()));
    if (!apply) {
      process.stderr.write(`not written (preview only): run again with --write to apply\n`);
      return;
    }
    await writeFileAtomically(file, outcome.text);
    process.stderr.write(`${done}; ${file} written\n`);
    if (opts.reload?.length) {
      for (const pidfile of opts.reload) process.stderr.write(`${await sighup(pidfile)}\n`);
    } else {
      process.stderr.write('send SIGHUP to the gateway, consent-audit and the job-match consumer to load it (or pass --reload PIDFILE)\n');
    }
  } catch (e) {
    if (e instanceof RegistryEditRefused || e instanceof UsageError) {
      process.stderr.write(`refused: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

function registryCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'registry') ?? program.command('registry').description('work with the registry file (agencies, keys, agreements)');
}

export function registerRegistryEdit(program: Command) {
  const registry = registryCommand(program);

  writeOptions(
    registry
      .command('add-agency')
      .argument('<file>', 'registry JSON file')
      .description('add an agency (with no key yet: add one with `registry add-key`)')
      .requiredOption('--id <id>', 'agency id, e.g. nb.pets')
      .requiredOption('--name-en <name>', 'English name')
      .requiredOption('--name-fr <name>', 'French name')
      .requiredOption('--jurisdiction <code>', "'CA' (federal) or a province / territory code")
      .requiredOption('--role <role>', `role (repeatable): ${ROLES.join(', ')}`, collect)
      .option('--rate-limit <n>', 'requests per minute'),
  ).action(async (file: string, opts: WriteOptions & { id: string; nameEn: string; nameFr: string; jurisdiction: string; role: string[]; rateLimit?: string }) => {
    await runEdit(
      file,
      opts,
      (text) => {
        const roles = oneOf<Role>('--role', opts.role, ROLES);
        let rateLimit: { requestsPerMinute: number } | undefined;
        if (opts.rateLimit !== undefined) {
          const n = Number(opts.rateLimit);
          if (!Number.isInteger(n) || n < 1) throw new UsageError(`--rate-limit must be a whole number of requests per minute, at least 1 (got ${JSON.stringify(opts.rateLimit)})`);
          rateLimit = { requestsPerMinute: n };
        }
        return addAgencyEdits(text, { id: opts.id, names: { en: opts.nameEn, fr: opts.nameFr }, jurisdiction: opts.jurisdiction, roles, ...(rateLimit ? { rateLimit } : {}) });
      },
      `agency ${opts.id} added`,
    );
  });

  writeOptions(
    registry
      .command('add-key')
      .argument('<file>', 'registry JSON file')
      .description("add an agency's public key (the .public.jwk.json that `keys generate` wrote)")
      .requiredOption('--agency <id>', 'the agency the key belongs to')
      .requiredOption('--key <jwk-file>', 'public JWK file'),
  ).action(async (file: string, opts: WriteOptions & { agency: string; key: string }) => {
    let key: RegistryKey;
    try {
      key = JSON.parse(await fs.readFile(opts.key, 'utf8')) as RegistryKey;
    } catch (e) {
      process.stderr.write(`refused: --key ${opts.key}: not a readable JSON file (${(e as NodeJS.ErrnoException).code ?? 'invalid JSON'})\n`);
      process.exitCode = 1;
      return;
    }
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      process.stderr.write(`refused: --key ${opts.key}: not a JWK object\n`);
      process.exitCode = 1;
      return;
    }
    await runEdit(file, opts, (text) => addKeyEdits(text, opts.agency, { use: 'sig', ...key, status: key.status ?? 'active' }), `key ${String(key.kid)} added to ${opts.agency}`);
  });

  for (const [name, status, what] of [
    ['retire-key', 'retired', 'retire a replaced key: refused for new requests and events once the apps reload (ledger entries it signed stay verifiable)'],
    ['revoke-key', 'revoked', 'revoke a key (compromised): nothing signed with it verifies any more'],
  ] as const) {
    writeOptions(registry.command(name).argument('<file>', 'registry JSON file').description(what).requiredOption('--kid <kid>', 'the key id')).action(
      async (file: string, opts: WriteOptions & { kid: string }) => {
        await runEdit(file, opts, (text) => keyStatusEdits(text, opts.kid, status), `key ${opts.kid} ${status}`);
      },
    );
  }

  writeOptions(
    registry
      .command('add-agreement')
      .argument('<file>', 'registry JSON file')
      .description('add a data-sharing agreement between a provider and a consumer')
      .requiredOption('--id <id>', 'agreement id, e.g. dsa-mifi-esdc-jobs')
      .requiredOption('--provider <agency>', 'providing agency (PROVIDER role)')
      .requiredOption('--consumer <agency>', 'receiving agency (CONSUMER role)')
      .requiredOption('--purpose <purpose>', `purpose (repeatable): ${PURPOSES.join(', ')}`, collect)
      .requiredOption('--field <field>', `claimant field (repeatable): ${CLAIMANT_FIELDS.join(', ')}`, collect)
      .requiredOption('--from <date>', 'first day in force, YYYY-MM-DD')
      .requiredOption('--to <date>', 'last day in force, YYYY-MM-DD')
      .requiredOption('--legal-basis <text>', 'the law or accord that allows the sharing'),
  ).action(
    async (
      file: string,
      opts: WriteOptions & { id: string; provider: string; consumer: string; purpose: string[]; field: string[]; from: string; to: string; legalBasis: string },
    ) => {
      await runEdit(
        file,
        opts,
        (text) => {
          if (opts.from > opts.to) throw new UsageError(`--from ${opts.from} is after --to ${opts.to}`);
          return addAgreementEdits(text, {
            id: opts.id,
            provider: opts.provider,
            consumer: opts.consumer,
            purposes: oneOf<Purpose>('--purpose', opts.purpose, PURPOSES),
            fields: oneOf<ClaimantField>('--field', opts.field, CLAIMANT_FIELDS),
            validFrom: opts.from,
            validTo: opts.to,
            legalBasis: opts.legalBasis,
          });
        },
        `agreement ${opts.id} added`,
      );
    },
  );

  writeOptions(
    registry
      .command('add-collector')
      .argument('<file>', 'registry JSON file')
      .description('declare an agency as a consent collector for purposes and recipients (consentCollectors)')
      .requiredOption('--agency <id>', 'the collecting agency (in contact with the claimant)')
      .requiredOption('--purpose <purpose>', 'purpose (repeatable)', collect)
      .requiredOption('--recipient <agency>', 'an agency that may receive data under these consents (repeatable; never the collector)', collect),
  ).action(async (file: string, opts: WriteOptions & { agency: string; purpose: string[]; recipient: string[] }) => {
    await runEdit(
      file,
      opts,
      (text) => addCollectorEdits(text, { agency: opts.agency, purposes: oneOf<Purpose>('--purpose', opts.purpose, PURPOSES), recipients: [...new Set(opts.recipient)] }),
      `consent collector ${opts.agency} added`,
    );
  });

  for (const [name, what, makeEdits] of [
    ['set', 'set the value at a JSON pointer (any part of the file: programs, dates, new sections), e.g. /agreements/dsa-x/validTo', setEdits],
    ['append', 'append a value to the array at a JSON pointer, e.g. /programs', appendEdits],
  ] as const) {
    writeOptions(
      registry
        .command(name)
        .argument('<file>', 'registry JSON file')
        .argument('<pointer>', "JSON pointer; array items by index or by id, '-' for the end of an array")
        .description(what)
        .option('--value <json>', 'the value, as JSON (a string is quoted: \'"2027-12-31"\')')
        .option('--value-file <file>', 'read the value (JSON) from a file'),
    ).action(async (file: string, pointer: string, opts: WriteOptions & { value?: string; valueFile?: string }) => {
      await runEdit(
        file,
        opts,
        (text) => makeEdits(text, pointer, parseValue(opts)),
        `${pointer} ${name === 'set' ? 'set' : 'appended to'}`,
      );
    });
  }
}

function parseValue(opts: { value?: string; valueFile?: string }): unknown {
  if ((opts.value === undefined) === (opts.valueFile === undefined)) throw new UsageError('give exactly one of --value JSON or --value-file FILE');
  let raw = opts.value;
  if (opts.valueFile !== undefined) {
    try {
      raw = readFileSync(opts.valueFile, 'utf8');
    } catch (e) {
      throw new UsageError(`--value-file ${opts.valueFile}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  try {
    return JSON.parse(raw!) as unknown;
  } catch {
    throw new UsageError(`${opts.valueFile !== undefined ? `--value-file ${opts.valueFile}` : '--value'} is not JSON (a string needs its quotes: '"2027-12-31"')`);
  }
}
