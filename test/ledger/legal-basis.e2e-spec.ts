/**
 * The legal basis in every entry (issue 18, docs/contract.md §5.1), against the built gateway and
 * the real consent-audit: a demo-like run (provision, consent, disclosures, a refusal) in which
 * every PERMIT that disclosed claimant fields names its agreements, their legal bases, the consents
 * it relied on and the registry version in force; every DENY names a rule; every registry version
 * an entry names was recorded by a registry entry before it; and a registry reload is an entry.
 */
import fs from 'node:fs/promises';
import { fromAgencyPseudonym, toAgencyPseudonym } from '@passerelle/crypto';
import type { LedgerEntryJson } from '@passerelle/contracts';
import { registryVersion } from '@passerelle/registry';
import { AGREEMENTS, createClaimantsWorld, grantConsent, markerClientId, type ClaimantsWorld, type GraphqlBody } from '../claimants/harness';

jest.setTimeout(120_000);

const SUBMIT = `mutation Submit($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;
const CLAIMANT = `query One($p: String!) { claimant(pseudonym: $p) { pseudonym province frenchLevel claimStatus } }`;
const CLAIMANTS = `query Many($first: Int) { claimants(first: $first) { nodes { pseudonym } pageInfo { hasNextPage } } }`;
const DISCLOSURE_PURPOSES = new Set(['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY', 'STATISTICS']);

let world: ClaimantsWorld;

async function entries(): Promise<LedgerEntryJson[]> {
  // The newest entry's seq + 1 (the signed head may lag by up to a second).
  const size = Number((await world.ledger.search({ first: 1 })).entries[0].seq) + 1;
  const out: LedgerEntryJson[] = [];
  for (let start = 0; start < size; start += 1000) {
    const page = await world.ledger.entries({ start, end: Math.min(size, start + 1000) - 1 });
    out.push(...page.entries.map((e) => JSON.parse(e.canonicalJson) as LedgerEntryJson));
  }
  return out;
}

/** Waits until the ledger holds an entry that satisfies `ok` (observed progress, no sleep-then-assert). */
async function waitForEntry(ok: (e: LedgerEntryJson) => boolean): Promise<LedgerEntryJson> {
  for (;;) {
    const found = (await world.ledger.search({ first: 500 })).entries.map((e) => JSON.parse(e.canonicalJson) as LedgerEntryJson).find(ok);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  world = await createClaimantsWorld();
});
afterAll(async () => {
  await world?.stop();
});

describe('the legal basis in every ledger entry', () => {
  let subject: string;
  let esdcPseudonym: string;
  let consentId: string;

  beforeAll(async () => {
    const clientId = markerClientId();
    const mifi = await world.client('qc.mifi').graphql<GraphqlBody<{ submitClaimants: { accepted: Array<{ pseudonym: string }> } }>>(SUBMIT, { records: [{ clientId, frenchLevel: 7, nocCode: '33102', province: 'QC' }] }, 'PROVISION');
    const ircc = await world.client('ca.ircc').graphql<GraphqlBody<{ submitClaimants: { accepted: Array<{ pseudonym: string }> } }>>(SUBMIT, { records: [{ clientId, claimStatus: 'PENDING', province: 'QC' }] }, 'PROVISION');
    if (!mifi.json.data || !ircc.json.data) throw new Error(`submission failed: ${mifi.body} ${ircc.body}`);
    subject = fromAgencyPseudonym(world.keyring, 'qc.mifi', mifi.json.data.submitClaimants.accepted[0].pseudonym)!;
    consentId = (await grantConsent(world, subject, 'JOB_MATCHING', 'ca.esdc')).id;
    esdcPseudonym = toAgencyPseudonym(world.keyring, 'ca.esdc', subject);
  });

  it('every PERMIT entry that moved claimant fields (provisions and disclosures) names its agreements, legal bases, consents and registry version', async () => {
    const one = await world.client('ca.esdc').graphql<GraphqlBody<unknown>>(CLAIMANT, { p: esdcPseudonym }, 'JOB_MATCHING');
    expect(one.json.errors).toBeUndefined();
    const many = await world.client('ca.esdc').graphql<GraphqlBody<unknown>>(CLAIMANTS, { first: 5 }, 'JOB_MATCHING');
    expect(many.json.errors).toBeUndefined();

    const all = await entries();
    const version = registryVersion(await fs.readFile(world.registry.file));
    const disclosures = all.filter((e) => e.decision === 'PERMIT' && e.fields.length > 0);
    expect(disclosures.filter((e) => DISCLOSURE_PURPOSES.has(e.purpose)).length).toBeGreaterThanOrEqual(2);
    // A provision names the provider's agreements in force that cover the fields it supplied.
    const provisions = disclosures.filter((e) => e.purpose === 'PROVISION' && e.reason === 'ok');
    expect(provisions.map((e) => [e.agency, e.agreements])).toEqual(
      expect.arrayContaining([
        ['qc.mifi', ['dsa-mifi-esdc-jobs']],
        ['ca.ircc', ['dsa-ircc-esdc-jobs', 'dsa-ircc-mltsd-reloc']],
      ]),
    );
    for (const e of provisions) expect(e.consents).toBeUndefined();
    const legalBasisOf = new Map(AGREEMENTS.map((a) => [a.id, a.legalBasis]));
    for (const e of disclosures) {
      expect(e.agreements?.length).toBeGreaterThan(0);
      expect(e.legal_basis).toEqual([...new Set(e.agreements!.map((id) => legalBasisOf.get(id)!))].sort());
      expect(e.registry_version).toBe(version);
    }
    const single = all.find((e) => e.seq === one.auditSeq)!;
    expect(single.agreements).toEqual(['dsa-ircc-esdc-jobs', 'dsa-mifi-esdc-jobs']);
    expect(single.consents).toEqual([consentId]);
  });

  it('every DENY names the rule that refused; every entry names a registry version recorded by a registry entry before it', async () => {
    // A claimant who never consented: refused, and the entry says which rule refused.
    const clientId = markerClientId();
    const res = await world.client('qc.mifi').graphql<GraphqlBody<{ submitClaimants: { accepted: Array<{ pseudonym: string }> } }>>(SUBMIT, { records: [{ clientId, frenchLevel: 9, province: 'QC' }] }, 'PROVISION');
    const other = fromAgencyPseudonym(world.keyring, 'qc.mifi', res.json.data!.submitClaimants.accepted[0].pseudonym)!;
    const refused = await world.client('ca.esdc').graphql<GraphqlBody<unknown>>(CLAIMANT, { p: toAgencyPseudonym(world.keyring, 'ca.esdc', other) }, 'JOB_MATCHING');
    expect(refused.json.errors?.[0]).toBeDefined();

    const all = await entries();
    const deny = all.find((e) => e.seq === refused.auditSeq)!;
    expect(deny).toMatchObject({ decision: 'DENY' });
    expect(deny.rule).toEqual(expect.any(String));
    expect(deny.agreements).toBeUndefined();
    for (const e of all.filter((x) => x.decision === 'DENY')) expect(e.rule).toEqual(expect.any(String));

    const loaded = new Set<string>();
    for (const e of all) {
      if (e.operation === 'registry:load' || e.operation === 'registry:reload') loaded.add(e.registry_version!);
      else expect(loaded.has(e.registry_version!)).toBe(true);
    }
    expect(all[0]).toMatchObject({ seq: 0, operation: 'registry:load', request_id: 'consent-audit', registry_version: registryVersion(await fs.readFile(world.registry.file)) });
    // The gateway recorded its own load before its first exchange.
    const gatewayLoad = all.find((e) => e.operation === 'registry:load' && e.request_id === 'gateway')!;
    expect(gatewayLoad).toMatchObject({ registry_version: all[0].registry_version });
    expect(gatewayLoad.seq).toBeLessThan(all.find((e) => e.agency !== '')!.seq);
  });

  it('a registry reload is itself a ledger entry, and later exchanges name the new version and legal basis', async () => {
    const doc = JSON.parse(await fs.readFile(world.registry.file, 'utf8'));
    for (const a of doc.agreements) if (a.id === 'dsa-mifi-esdc-jobs') a.legalBasis = 'Canada–Québec Accord (1991), amended annex';
    const text = JSON.stringify(doc, null, 2);
    await fs.writeFile(world.registry.file, text);
    const version = registryVersion(Buffer.from(text));
    world.consentAudit.proc.kill('SIGHUP');
    const reload = await waitForEntry((e) => e.operation === 'registry:reload' && e.registry_version === version);
    expect(reload).toMatchObject({ decision: 'PERMIT', agency: '', subjects: [], fields: [], request_id: 'consent-audit' });
    // The gateway's reload is an entry of its own: which rules the gateway applied, from when.
    world.gateway.app.proc.kill('SIGHUP');
    const gatewayReload = await waitForEntry((e) => e.operation === 'registry:reload' && e.request_id === 'gateway');
    expect(gatewayReload).toMatchObject({ decision: 'PERMIT', agency: '', subjects: [], fields: [], registry_version: version });
    expect(gatewayReload.seq).toBeGreaterThan(reload.seq);

    const after = await world.client('ca.esdc').graphql<GraphqlBody<unknown>>(CLAIMANT, { p: esdcPseudonym }, 'JOB_MATCHING');
    const entry = (await entries()).find((e) => e.seq === after.auditSeq)!;
    expect(entry.registry_version).toBe(version);
    expect(entry.legal_basis).toContain('Canada–Québec Accord (1991), amended annex');
  });
});
