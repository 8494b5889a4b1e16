import type { Command } from 'commander';
import { APP_TLS_IDENTITIES, issueCertificates, type IssueReport, type TlsRole } from '@passerelle/crypto';

interface CertsOptions {
  dir: string;
  identity?: string[];
  all?: boolean;
  ca?: boolean;
  days?: string;
}

function identitiesOf(extra: readonly string[] = []): Record<string, TlsRole> {
  const out: Record<string, TlsRole> = { ...APP_TLS_IDENTITIES };
  for (const id of extra) out[id] ??= 'client';
  return out;
}

function leafDays(days: string | undefined): number | undefined {
  if (days === undefined) return undefined;
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 825) throw new Error(`--days must be a whole number of days from 1 to 825 (got ${JSON.stringify(days)})`);
  return n;
}

function print(dir: string, report: IssueReport, restartHint: boolean) {
  process.stdout.write(`CA ${report.ca} (${dir}/ca.crt)\n`);
  for (const i of report.identities) {
    process.stdout.write(`${i.identity}: ${i.action}${i.reason && i.reason !== 'missing' ? ` (${i.reason})` : ''}, valid until ${i.notAfter}\n`);
  }
  if (restartHint && report.identities.some((i) => i.action !== 'kept')) process.stderr.write('restart the apps whose certificate changed: they load it at start\n');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `passerelle certs issue|rotate --dir DIR`: the private CA and per-app certificates of the gRPC
 * links between the apps (mutual TLS). `issue` is idempotent (`npm start` runs it every time).
 */
export function registerCerts(program: Command) {
  const certs = program.command('certs').description('the CA and certificates of the mutual TLS between the apps (gRPC)');
  certs
    .command('issue')
    .description('create the CA and a certificate per app where missing; renew those expiring within 30 days or issued by another CA')
    .requiredOption('--dir <dir>', 'directory of ca.crt, ca.key, <identity>.crt and <identity>.key (created 0700; keys 0600)')
    .option('--identity <id>', `an extra client identity to issue besides ${Object.keys(APP_TLS_IDENTITIES).join(', ')} (repeatable)`, collect)
    .option('--days <n>', 'lifetime of a new certificate in days (default 365)')
    .action(async (opts: CertsOptions) => {
      print(opts.dir, await issueCertificates(opts.dir, { identities: identitiesOf(opts.identity), leafDays: leafDays(opts.days) }), false);
    });
  certs
    .command('rotate')
    .description('new key and certificate now for the identities named (--identity, repeatable), for every app (--all), or a new CA and every certificate (--ca)')
    .requiredOption('--dir <dir>', 'directory of ca.crt, ca.key, <identity>.crt and <identity>.key')
    .option('--identity <id>', 'identity to re-key (repeatable)', collect)
    .option('--all', 're-key every app identity')
    .option('--ca', 'replace the CA itself; every certificate is re-issued and every app must restart')
    .option('--days <n>', 'lifetime of a new certificate in days (default 365)')
    .action(async (opts: CertsOptions) => {
      if (!opts.identity?.length && !opts.all && !opts.ca) throw new Error('certs rotate needs --identity <id>, --all or --ca');
      const identities = identitiesOf(opts.identity);
      const rotate = opts.all ? Object.keys(identities) : (opts.identity ?? []);
      print(opts.dir, await issueCertificates(opts.dir, { identities, rotate, rotateCa: opts.ca === true, leafDays: leafDays(opts.days) }), true);
    });
}
