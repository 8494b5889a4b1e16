import type { Command } from 'commander';
import { GatewayClient, readAgencyKeyFile, ResponseVerificationError, type RequestPurpose } from '@passerelle/client';
import { PURPOSES } from '@passerelle/registry';

/** `passerelle request`: one signed GraphQL query (or GET) to the gateway; verifies the signed answer. */
export function registerRequest(program: Command) {
  program
    .command('request')
    .description('send one signed request to the gateway and print the verified JSON answer')
    .requiredOption('--gateway <url>', 'gateway base URL, e.g. http://127.0.0.1:3000')
    .requiredOption('--agency <id>', 'your agency id')
    .requiredOption('--key <file>', 'your private key file (<agency>.private.jwk.json)')
    .requiredOption('--purpose <purpose>', `one of ${PURPOSES.join(', ')}`)
    .option('--query <graphql>', 'GraphQL query (POST /graphql)')
    .option('--variables <json>', 'GraphQL variables as JSON')
    .option('--get <path>', 'instead of --query: GET this path, e.g. /audit/sth')
    .option('--gateway-id <id>', "the registry's gatewayId (the aud of your signature)", 'passerelle')
    .action(async (opts: { gateway: string; agency: string; key: string; purpose: string; query?: string; variables?: string; get?: string; gatewayId: string }) => {
      if (!(PURPOSES as readonly string[]).includes(opts.purpose)) throw new Error(`--purpose must be one of ${PURPOSES.join(', ')} (got ${opts.purpose})`);
      if (!opts.query === !opts.get) throw new Error('give exactly one of --query and --get');
      let variables: Record<string, unknown> | undefined;
      if (opts.variables !== undefined) {
        try {
          variables = JSON.parse(opts.variables) as Record<string, unknown>;
        } catch {
          throw new Error('--variables is not valid JSON');
        }
      }
      const key = await readAgencyKeyFile(opts.key);
      const client = new GatewayClient({ url: opts.gateway, agency: opts.agency, kid: key.kid, privateKey: key, alg: key.alg, gatewayId: opts.gatewayId });
      let res;
      try {
        res = opts.query ? await client.graphql(opts.query, variables, opts.purpose as RequestPurpose) : await client.get(opts.get!, opts.purpose as RequestPurpose);
      } catch (e) {
        if (e instanceof ResponseVerificationError) {
          process.stderr.write(`passerelle: the answer's signature is not valid: ${e.message}\n`);
          process.exitCode = 4;
          return;
        }
        throw e;
      }
      const error = (res.json as { error?: { code?: string; message?: string } } | undefined)?.error;
      if (res.status >= 400 && error?.code) {
        process.stderr.write(`passerelle: ${error.code}: ${error.message ?? ''} (HTTP ${res.status})\n`);
        process.stdout.write(`${res.body}\n`);
        process.exitCode = res.status === 401 ? 3 : 1;
        return;
      }
      if (res.auditSeq === undefined) {
        process.stderr.write(`passerelle: the answer (HTTP ${res.status}) carries no gateway signature\n`);
        process.exitCode = 4;
        return;
      }
      process.stderr.write(`verified: HTTP ${res.status}, audit_seq ${res.auditSeq}\n`);
      process.stdout.write(`${JSON.stringify(res.json, null, 2)}\n`);
    });
}
