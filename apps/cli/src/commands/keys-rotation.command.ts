import type { Command } from 'commander';
import {
  GatewayKeyRefused,
  listGatewayKeys,
  pseudonymKeyVersions,
  PseudonymKeyringRefused,
  retireGatewayKey,
  rotateGatewayKey,
  rotatePseudonymKeyVersion,
  SecretFileModeError,
} from '@passerelle/crypto';
import { connectForPlan, formatReissuePlan, reissuePlan } from './keys-reissue-plan';

/**
 * `passerelle keys rotate-gateway|retire-gateway|list-gateway|rotate-pseudonyms|reissue-plan
 * --secrets DIR`: the gateway's signing key and the agency-pseudonym keys, rotated by command
 * in the apps' PASSERELLE_SECRETS_DIR (never by editing the files).
 */

const RESTART = 'restart the gateway and consent-audit: they sign with the key they loaded at start';

async function refusing(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (e instanceof GatewayKeyRefused || e instanceof PseudonymKeyringRefused || e instanceof SecretFileModeError) {
      process.stderr.write(`refused: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

function keysCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'keys') ?? program.command('keys').description('keys: agencies\' signing keys, the gateway\'s signing key, the pseudonym keyring');
}

export function registerKeysRotation(program: Command) {
  const keys = keysCommand(program);
  const secretsOption = ['--secrets <dir>', "the apps' PASSERELLE_SECRETS_DIR"] as const;

  keys
    .command('rotate-gateway')
    .description('make a new gateway signing key active; the old one stays in the JWKS (what it signed still verifies) until `keys retire-gateway`')
    .requiredOption(...secretsOption)
    .action(async (opts: { secrets: string }) =>
      refusing(async () => {
        const { kid, superseded } = await rotateGatewayKey(opts.secrets);
        process.stdout.write(`${kid}\n`);
        process.stderr.write(
          `new active gateway key ${kid}; superseded, still published: ${superseded.join(', ')}\n` +
            `${RESTART}; the gateway's JWKS publishes the new key now. Once verifiers no longer need ` +
            `what the old key signed: passerelle keys retire-gateway ${superseded[0]} --secrets ${opts.secrets}\n`,
        );
      }),
    );

  keys
    .command('retire-gateway')
    .argument('<kid>', 'the superseded gateway key to withdraw from the JWKS')
    .description('withdraw a superseded gateway key from the JWKS (responses and receipts it signed no longer verify against it)')
    .requiredOption(...secretsOption)
    .action(async (kid: string, opts: { secrets: string }) =>
      refusing(async () => {
        const retired = await retireGatewayKey(opts.secrets, kid);
        process.stderr.write(`gateway key ${retired.kid} retired at ${retired.retiredAt}: the gateway's JWKS no longer lists it\n`);
      }),
    );

  keys
    .command('list-gateway')
    .description('list the gateway signing keys: active, superseded (published) or retired')
    .requiredOption(...secretsOption)
    .action(async (opts: { secrets: string }) =>
      refusing(async () => {
        for (const k of await listGatewayKeys(opts.secrets)) process.stdout.write(`${k.kid}\t${k.state}\tcreated ${k.createdAt}${k.supersededAt ? `\tsuperseded ${k.supersededAt}` : ''}${k.retiredAt ? `\tretired ${k.retiredAt}` : ''}\n`);
      }),
    );

  keys
    .command('rotate-pseudonyms')
    .description('add a new agency-pseudonym key version (answers carry it from the next start; older pseudonyms still translate) and print the re-issue plan per agency')
    .requiredOption(...secretsOption)
    .option('--database-url <url>', 'a login that may read the ledger (consent-audit\'s or the owner\'s); default DATABASE_URL')
    .option('--no-plan', 'rotate without reading the ledger for the re-issue plan')
    .action(async (opts: { secrets: string; databaseUrl?: string; plan: boolean }) =>
      refusing(async () => {
        const url = opts.databaseUrl ?? process.env.DATABASE_URL;
        if (opts.plan && !url) throw new PseudonymKeyringRefused('the re-issue plan reads the ledger: give --database-url (or DATABASE_URL), or --no-plan');
        await pseudonymKeyVersions(opts.secrets); // refuses a missing or unprotected keyring before the database is touched
        const client = opts.plan ? await connectForPlan(url!) : undefined;
        try {
          const { version, periods } = await rotatePseudonymKeyVersion(opts.secrets);
          process.stdout.write(`new pseudonym key version ${version} (older versions kept: ${periods.filter((p) => p.version !== version).map((p) => p.version).join(', ')})\n`);
          if (client) for (const line of formatReissuePlan(await reissuePlan(client, periods), version)) process.stdout.write(`${line}\n`);
          process.stderr.write('restart the job-match consumer, then the gateway: they load the keyring at start, and the consumer must know the new version before the gateway hands it out\n');
        } finally {
          await client?.end();
        }
      }),
    );

  keys
    .command('reissue-plan')
    .description('print, per agency, how many claimants it holds a pseudonym for under an older key version (counts only)')
    .requiredOption(...secretsOption)
    .option('--database-url <url>', 'a login that may read the ledger; default DATABASE_URL')
    .action(async (opts: { secrets: string; databaseUrl?: string }) =>
      refusing(async () => {
        const url = opts.databaseUrl ?? process.env.DATABASE_URL;
        if (!url) throw new PseudonymKeyringRefused('give --database-url (or DATABASE_URL): the plan reads the ledger');
        const periods = await pseudonymKeyVersions(opts.secrets);
        const client = await connectForPlan(url);
        try {
          const current = periods[periods.length - 1].version;
          for (const line of formatReissuePlan(await reissuePlan(client, periods), current)) process.stdout.write(`${line}\n`);
        } finally {
          await client.end();
        }
      }),
    );
}
