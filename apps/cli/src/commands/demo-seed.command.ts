import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { GatewayClient, readAgencyKeyFile } from '@passerelle/client';
import { publishMatches } from './publish-matches.command';

/**
 * Loads the demo data through the gateway, as the agencies themselves would: signed submissions by
 * IRCC, Quebec's health ministry and immigration ministry, consents collected by Quebec, and a
 * batch of ESDC job matches published to Kafka. Client ids are synthetic (DEMO-…), never real.
 */
const NOC = ['33102', '64410', '65201', '65310', '13110'];
const SECTOR_OF: Record<string, string> = { '33102': 'HEALTH_CARE', '64410': 'SECURITY', '65201': 'FOOD_SERVICES', '65310': 'CLEANING_MAINTENANCE', '13110': 'ADMINISTRATION' };
const STATUS = ['PENDING', 'APPEAL_PENDING', 'REJECTED', 'ACCEPTED', 'PENDING'];
const CITIES = [
  ['ON', 'Ottawa'],
  ['ON', 'Toronto'],
  ['NB', 'Moncton'],
  ['MB', 'Winnipeg'],
  ['QC', 'Sherbrooke'],
];

interface Seeded {
  claimants: number;
  consents: number;
  matches: number;
}

async function clientFor(gateway: string, secrets: string, agency: string, gatewayId: string): Promise<GatewayClient> {
  const key = await readAgencyKeyFile(path.join(secrets, 'agencies', `${agency}.private.jwk.json`));
  return new GatewayClient({ url: gateway, agency, kid: key.kid, privateKey: key, gatewayId });
}

function expectOk<T>(what: string, res: { status: number; json: unknown }): T {
  const body = res.json as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (res.status !== 200 || body?.errors?.length || !body?.data) {
    const err = body?.errors?.[0];
    throw new Error(`${what} failed: HTTP ${res.status}${err ? ` ${err.extensions?.code ?? ''} ${err.message}` : ''}`);
  }
  return body.data;
}

export async function demoSeed(opts: { gateway: string; secrets: string; count: number; gatewayId: string; brokers?: string; topic?: string }): Promise<Seeded> {
  const ids = Array.from({ length: opts.count }, (_, i) => `DEMO-${String(i + 1).padStart(4, '0')}`);
  const ircc = await clientFor(opts.gateway, opts.secrets, 'ca.ircc', opts.gatewayId);
  const msss = await clientFor(opts.gateway, opts.secrets, 'qc.msss', opts.gatewayId);
  const mifi = await clientFor(opts.gateway, opts.secrets, 'qc.mifi', opts.gatewayId);
  const esdc = await clientFor(opts.gateway, opts.secrets, 'ca.esdc', opts.gatewayId);
  const submit = `mutation ($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;
  type Submitted = { submitClaimants: { accepted: Array<{ index: number; pseudonym: string }>; rejected: Array<{ index: number; reason: string }> } };

  const irccRecords = ids.map((clientId, i) => ({
    clientId,
    claimStatus: STATUS[i % STATUS.length],
    claimDate: `2023-${String((i % 12) + 1).padStart(2, '0')}-15`,
    province: i % 4 === 3 ? 'ON' : 'QC',
    workPermitExpiry: `202${7 + (i % 2)}-0${(i % 9) + 1}-28`,
  }));
  const msssRecords = ids.map((clientId, i) => ({
    clientId,
    nocCode: NOC[i % NOC.length],
    sector: SECTOR_OF[NOC[i % NOC.length]],
    healthCareHours: 300 + ((i * 97) % 1500),
    hoursPeriodStart: '2020-03-13',
    hoursPeriodEnd: '2020-08-14',
    province: 'QC',
  }));
  const mifiRecords = ids.map((clientId, i) => ({ clientId, frenchLevel: 3 + (i % 8), province: 'QC', nocCode: NOC[i % NOC.length] }));
  for (const [what, client, records] of [
    ['IRCC submission', ircc, irccRecords],
    ['MSSS submission', msss, msssRecords],
  ] as const) {
    const data = expectOk<Submitted>(what, await client.graphql(submit, { records }, 'PROVISION'));
    if (data.submitClaimants.rejected.length) throw new Error(`${what}: ${data.submitClaimants.rejected.length} record(s) refused, first: ${data.submitClaimants.rejected[0].reason}`);
  }
  const mifiResult = expectOk<Submitted>('MIFI submission', await mifi.graphql(submit, { records: mifiRecords }, 'PROVISION')).submitClaimants;
  if (mifiResult.rejected.length) throw new Error(`MIFI submission: ${mifiResult.rejected[0].reason}`);

  // Quebec collects consents: most claimants agree to job matching by ESDC, some to relocation help from Ontario.
  const now = Date.now();
  let consents = 0;
  const record = `mutation ($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
  for (const { index, pseudonym } of mifiResult.accepted) {
    const grants: Array<[string, string]> = [];
    if (index % 4 !== 1) grants.push(['JOB_MATCHING', 'ca.esdc']);
    if (index % 3 === 0) grants.push(['RELOCATION', 'on.mltsd']);
    for (const [purpose, recipient] of grants) {
      const evidenceSha256 = createHash('sha256').update(`demo consent form ${index} ${purpose}`).digest('base64url');
      const input = { pseudonym, purpose, recipient, validFrom: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 365 * 86400_000).toISOString(), evidenceSha256 };
      expectOk(`consent ${purpose}`, await mifi.graphql(record, { input }, 'CONSENT_MANAGEMENT'));
      consents++;
    }
  }

  // ESDC's batch job: its own pseudonyms for the claimants it may see, matched to postings.
  const page = expectOk<{ claimants: { nodes: Array<{ pseudonym: string }> } }>(
    'ESDC claimants',
    await esdc.graphql(`{ claimants(first: 500) { nodes { pseudonym } } }`, undefined, 'JOB_MATCHING'),
  ).claimants.nodes;
  const lines = page.map((c, i) => {
    const [province, city] = CITIES[i % CITIES.length];
    return JSON.stringify({
      eventId: `demo-evt-${String(i + 1).padStart(4, '0')}`,
      batchId: 'demo-batch-1',
      pseudonym: c.pseudonym,
      score: Math.round((0.6 + (i % 40) / 100) * 100) / 100,
      matchedAt: new Date(now).toISOString(),
      posting: {
        id: `JB-${4471200 + i}`,
        title: ['Patient care aide', 'Security guard', 'Kitchen helper', 'Light duty cleaner', 'Administrative assistant'][i % 5],
        nocCode: NOC[i % NOC.length],
        province,
        city,
        hourlyWageCents: 2100 + (i % 9) * 150,
        languageRequirement: province === 'NB' ? 'EN_AND_FR' : province === 'QC' ? 'FR' : 'EN_OR_FR',
        postedAt: new Date(now - 86400_000 * (i % 20)).toISOString(),
      },
    });
  });
  let matches = 0;
  if (lines.length) {
    const file = path.join(opts.secrets, 'demo-matches.ndjson');
    await fs.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    const summary = await publishMatches(
      { file, agency: 'ca.esdc', key: path.join(opts.secrets, 'agencies', 'ca.esdc.private.jwk.json'), brokers: opts.brokers, topic: opts.topic ?? 'jobbank.matches.v1', batchSize: 500 },
      { stdout: sink, stderr: sink },
    );
    matches = summary.published;
  }
  return { claimants: ids.length, consents, matches };
}

export function registerDemoSeed(program: Command) {
  const demo = program.commands.find((c) => c.name() === 'demo') ?? program.command('demo').description('the demo set-up');
  demo
    .command('seed')
    .description('load demo claimants, consents and job matches through the gateway, signed by the demo agencies')
    .requiredOption('--gateway <url>', 'gateway base URL, e.g. http://127.0.0.1:3000')
    .requiredOption('--secrets <dir>', 'secrets directory holding agencies/<id>.private.jwk.json (from `demo init`)')
    .option('--count <n>', 'how many demo claimants', (v) => Number(v), 60)
    .option('--gateway-id <id>', "the registry's gatewayId", 'passerelle')
    .option('--brokers <list>', 'Kafka brokers (default: KAFKA_BROKERS)')
    .option('--topic <topic>', 'job-match topic', 'jobbank.matches.v1')
    .action(async (opts: { gateway: string; secrets: string; count: number; gatewayId: string; brokers?: string; topic: string }) => {
      const r = await demoSeed(opts);
      process.stdout.write(`demo data: ${r.claimants} claimants from 3 providers, ${r.consents} consents, ${r.matches} job matches published\n`);
    });
}
