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
  ['AB', 'Calgary'],
  ['NB', 'Fredericton'],
];
/** The receiving provinces of the demo registry, each with one relocation offer. */
const RECEIVERS: Array<{ agency: string; province: string; regions: string[]; nocCodes: string[]; languageSupport: string; minFrenchLevel: number | null; minEnglishLevel: number | null; contact: string }> = [
  { agency: 'on.mltsd', province: 'ON', regions: ['Ottawa', 'Toronto'], nocCodes: ['33102', '64410'], languageSupport: 'EN_AND_FR', minFrenchLevel: 5, minEnglishLevel: 5, contact: 'relocation@ontario.example' },
  { agency: 'nb.petl', province: 'NB', regions: ['Moncton', 'Fredericton'], nocCodes: ['33102', '65201', '13110'], languageSupport: 'EN_AND_FR', minFrenchLevel: 4, minEnglishLevel: 4, contact: 'relocalisation@nb.example' },
  { agency: 'mb.li', province: 'MB', regions: ['Winnipeg'], nocCodes: ['64410', '65310'], languageSupport: 'EN', minFrenchLevel: null, minEnglishLevel: 5, contact: 'relocation@manitoba.example' },
  { agency: 'ab.im', province: 'AB', regions: ['Calgary'], nocCodes: ['33102', '65201', '65310'], languageSupport: 'EN', minFrenchLevel: null, minEnglishLevel: 6, contact: 'relocation@alberta.example' },
];

/**
 * Temporary residents who once claimed asylum and withdrew (so the 2021 pathway does not exclude
 * them), with health-care hours as employment periods: the population behind the empty-spots
 * question for `tr-to-pr-2021` / health-care. Groups of 1–9 (NB) are there so the table shows suppression.
 */
const TR_COHORT: Array<{ key: string; province: string; hours: number | null; n: number }> = [
  { key: 'QC', province: 'QC', hours: 1800, n: 34 },
  { key: 'ON', province: 'ON', hours: 1700, n: 13 },
  { key: 'NB', province: 'NB', hours: 1800, n: 6 },
  { key: 'QC-NOHOURS', province: 'QC', hours: null, n: 12 },
  { key: 'QC-FEW', province: 'QC', hours: 900, n: 8 },
];

interface Seeded {
  claimants: number;
  temporaryResidents: number;
  consents: number;
  matches: number;
  offers: number;
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
  // French (NCLC) for everyone, English (CLB) tested for two in three.
  const mifiRecords = ids.map((clientId, i) => ({ clientId, frenchLevel: 3 + (i % 8), ...(i % 3 === 2 ? {} : { englishLevel: 4 + ((i * 5) % 7) }), province: 'QC', nocCode: NOC[i % NOC.length] }));
  const accepted: Record<string, Submitted['submitClaimants']['accepted']> = {};
  for (const [what, client, records] of [
    ['IRCC submission', ircc, irccRecords],
    ['MSSS submission', msss, msssRecords],
  ] as const) {
    const data = expectOk<Submitted>(what, await client.graphql(submit, { records }, 'PROVISION'));
    if (data.submitClaimants.rejected.length) throw new Error(`${what}: ${data.submitClaimants.rejected.length} record(s) refused, first: ${data.submitClaimants.rejected[0].reason}`);
    accepted[what] = data.submitClaimants.accepted;
  }
  // The pathway cohort: IRCC knows the status and permit, MSSS the occupation and the hours worked.
  const cohort = TR_COHORT.flatMap((g) => Array.from({ length: g.n }, (_, i) => ({ clientId: `DEMO-TR-${g.key}-${i + 1}`, ...g })));
  const cohortIrcc = cohort.map((c, i) => ({ clientId: c.clientId, claimStatus: 'WITHDRAWN', province: c.province, workPermitExpiry: `2027-${String((i % 12) + 1).padStart(2, '0')}-28` }));
  const cohortMsss = cohort.map((c) => ({
    clientId: c.clientId,
    nocCode: '33102',
    ...(c.hours === null ? {} : { employment: [{ employerId: `NEQ-DEMO-${c.key}`, employerSector: 'HEALTH_CARE', worksiteSector: 'HEALTH_CARE', start: '2019-06-01', end: '2021-04-30', hours: c.hours }] }),
  }));
  for (const [what, client, records] of [
    ['IRCC pathway cohort', ircc, cohortIrcc],
    ['MSSS pathway cohort', msss, cohortMsss],
  ] as const) {
    const data = expectOk<Submitted>(what, await client.graphql(submit, { records }, 'PROVISION'));
    if (data.submitClaimants.rejected.length) throw new Error(`${what}: ${data.submitClaimants.rejected.length} record(s) refused, first: ${data.submitClaimants.rejected[0].reason}`);
  }
  const mifiResult = expectOk<Submitted>('MIFI submission', await mifi.graphql(submit, { records: mifiRecords }, 'PROVISION')).submitClaimants;
  if (mifiResult.rejected.length) throw new Error(`MIFI submission: ${mifiResult.rejected[0].reason}`);

  // Quebec collects consents: most claimants agree to job matching by ESDC; many say where they
  // would settle (willingness to relocate: a RELOCATION consent to a receiving province).
  const now = Date.now();
  let consents = 0;
  const record = `mutation ($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
  for (const { index, pseudonym } of mifiResult.accepted) {
    const grants: Array<[string, string]> = [];
    if (index % 4 !== 1) grants.push(['JOB_MATCHING', 'ca.esdc']);
    if (index % 3 === 0) grants.push(['RELOCATION', 'on.mltsd']);
    const elsewhere = RECEIVERS[(index + 1) % RECEIVERS.length].agency;
    if (index % 4 !== 1 && !grants.some(([p, r]) => p === 'RELOCATION' && r === elsewhere)) grants.push(['RELOCATION', elsewhere]);
    for (const [purpose, recipient] of grants) {
      const evidenceSha256 = createHash('sha256').update(`demo consent form ${index} ${purpose}`).digest('base64url');
      const input = { pseudonym, purpose, recipient, ...(purpose === 'RELOCATION' ? { destinations: [RECEIVERS.find((r) => r.agency === recipient)!.province] } : {}), validFrom: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 365 * 86400_000).toISOString(), evidenceSha256 };
      expectOk(`consent ${purpose}`, await mifi.graphql(record, { input }, 'CONSENT_MANAGEMENT'));
      consents++;
    }
  }

  // IRCC collects the consent that lets Quebec (MIFI) read the job matches of the claimants it may refer elsewhere.
  for (const { index, pseudonym } of accepted['IRCC submission']) {
    if (index % 4 === 1) continue;
    const evidenceSha256 = createHash('sha256').update(`demo consent form ${index} JOB_MATCHING qc.mifi`).digest('base64url');
    const input = { pseudonym, purpose: 'JOB_MATCHING', recipient: 'qc.mifi', validFrom: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 365 * 86400_000).toISOString(), evidenceSha256 };
    expectOk('consent JOB_MATCHING to qc.mifi', await ircc.graphql(record, { input }, 'CONSENT_MANAGEMENT'));
    consents++;
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
  // Each receiving province publishes its relocation offer, signed by its own key.
  let offers = 0;
  const publish = `mutation ($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { id } }`;
  const year = new Date(now).getUTCFullYear();
  for (const r of RECEIVERS) {
    const client = await clientFor(opts.gateway, opts.secrets, r.agency, opts.gatewayId);
    const input = {
      regions: r.regions, nocCodes: r.nocCodes, places: 25, periodStart: `${year}-01-01`, periodEnd: `${year + 1}-12-31`, languageSupport: r.languageSupport,
      minFrenchLevel: r.minFrenchLevel, minEnglishLevel: r.minEnglishLevel, settlementServices: ['HOUSING', 'LANGUAGE_TRAINING', 'EMPLOYMENT_SUPPORT'], contact: { kind: 'EMAIL', value: r.contact },
    };
    expectOk(`${r.agency} relocation offer`, await client.graphql(publish, { input }, 'RELOCATION'));
    offers++;
  }
  return { claimants: ids.length, temporaryResidents: cohort.length, consents, matches, offers };
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
      process.stdout.write(`demo data: ${r.claimants} claimants from 3 providers, ${r.consents} consents, ${r.matches} job matches published, ${r.offers} relocation offers, ${r.temporaryResidents} temporary residents for the pathway\n`);
    });
}
