import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GatewayClient, type AgencyAlg } from '@passerelle/client';
import { CONSENT_COLLECTOR_PURPOSES, type Agreement, type ConsentCollector, type RegistryDocument, type RegistryKey, type Role } from '@passerelle/registry';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { uniqueName } from './names';

export interface TestAgencyKey {
  agency: string;
  kid: string;
  alg: AgencyAlg;
  /** private JWK (with kid and alg): stays in the test, never in the registry */
  privateJwk: JWK;
  /** the registry entry: public JWK with kid, alg and status */
  publicJwk: RegistryKey;
}

/** A fresh key pair for an agency (tests generate their own keys; none is committed). */
export async function generateAgencyKey(agency: string, alg: AgencyAlg = 'EdDSA', kid = uniqueName(agency.replace(/\./g, '-'))): Promise<TestAgencyKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  return {
    agency,
    kid,
    alg,
    privateJwk: { ...priv, kid, alg },
    publicJwk: { ...(pub as RegistryKey), kid, alg, status: 'active', use: 'sig' },
  };
}

export interface TestAgencySpec {
  id: string;
  roles: Role[];
  jurisdiction?: string;
  /** extra keys beyond the one active key every test agency gets */
  extraKeys?: Array<{ alg?: AgencyAlg; status: RegistryKey['status'] }>;
}

/** The demo parties of DOMAIN.md with their usual roles. */
export const DEMO_AGENCIES: TestAgencySpec[] = [
  { id: 'ca.ircc', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'CA' },
  { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
  { id: 'ca.irb', roles: ['PROVIDER'], jurisdiction: 'CA' },
  { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
  { id: 'qc.msss', roles: ['PROVIDER'], jurisdiction: 'QC' },
  { id: 'on.mltsd', roles: ['CONSUMER'], jurisdiction: 'ON' },
  { id: 'ops.audit', roles: ['OPERATOR'], jurisdiction: 'CA' },
];

/**
 * The collectors a test registry declares unless told otherwise: every PROVIDER collects consent,
 * for every consentable purpose, to every other agency holding CONSUMER (never to itself), as the
 * agencies in contact with claimants do in DOMAIN.md.
 */
export function defaultConsentCollectors(agencies: readonly TestAgencySpec[]): ConsentCollector[] {
  const consumers = agencies.filter((a) => a.roles.includes('CONSUMER')).map((a) => a.id);
  return agencies
    .filter((a) => a.roles.includes('PROVIDER'))
    .map((a) => ({ agency: a.id, purposes: [...CONSENT_COLLECTOR_PURPOSES], recipients: consumers.filter((c) => c !== a.id) }))
    .filter((c) => c.recipients.length > 0);
}

export interface TestRegistry {
  file: string;
  dir: string;
  document: RegistryDocument;
  /** every generated key, by kid */
  keys: Map<string, TestAgencyKey>;
  /** the first active key of each agency */
  activeKey(agency: string): TestAgencyKey;
  /** a GatewayClient signing as `agency` with its active key (or the given one) */
  client(agency: string, gatewayUrl: string, key?: TestAgencyKey): GatewayClient;
  /** rewrites the file (e.g. to revoke a key before SIGHUP) */
  write(document: RegistryDocument): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Writes a registry for one test file into a temp directory, with a fresh key for every
 * agency, and returns clients that sign with those keys.
 */
export async function createTestRegistry(
  opts: {
    gatewayId?: string;
    agencies?: TestAgencySpec[];
    agreements?: Agreement[];
    programs?: RegistryDocument['programs'];
    consentRequiredFor?: RegistryDocument['consentRequiredFor'];
    /** who may collect consent; default `defaultConsentCollectors(agencies)` */
    consentCollectors?: ConsentCollector[];
  } = {},
): Promise<TestRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-registry-'));
  const file = path.join(dir, 'registry.json');
  const keys = new Map<string, TestAgencyKey>();
  const active = new Map<string, TestAgencyKey>();
  const agencies = await Promise.all(
    (opts.agencies ?? DEMO_AGENCIES).map(async (spec) => {
      const main = await generateAgencyKey(spec.id);
      keys.set(main.kid, main);
      active.set(spec.id, main);
      const extra = await Promise.all((spec.extraKeys ?? []).map(async (e) => {
        const k = await generateAgencyKey(spec.id, e.alg ?? 'EdDSA');
        k.publicJwk.status = e.status;
        keys.set(k.kid, k);
        return k.publicJwk;
      }));
      return {
        id: spec.id,
        names: { en: `${spec.id} (test)`, fr: `${spec.id} (essai)` },
        jurisdiction: spec.jurisdiction ?? 'CA',
        roles: spec.roles,
        keys: [main.publicJwk, ...extra],
      };
    }),
  );
  const document: RegistryDocument = {
    gatewayId: opts.gatewayId ?? 'passerelle-test',
    agencies,
    agreements: opts.agreements ?? [],
    programs: opts.programs ?? [],
    ...(opts.consentRequiredFor ? { consentRequiredFor: opts.consentRequiredFor } : {}),
    consentCollectors: opts.consentCollectors ?? defaultConsentCollectors(opts.agencies ?? DEMO_AGENCIES),
  };
  const registry: TestRegistry = {
    file,
    dir,
    document,
    keys,
    activeKey: (agency) => {
      const k = active.get(agency);
      if (!k) throw new Error(`no test key for agency ${agency}`);
      return k;
    },
    client: (agency, gatewayUrl, key) => {
      const k = key ?? registry.activeKey(agency);
      return new GatewayClient({ url: gatewayUrl, agency, kid: k.kid, privateKey: k.privateJwk, alg: k.alg, gatewayId: registry.document.gatewayId });
    },
    write: async (doc) => {
      registry.document = doc;
      const tmp = `${file}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(doc, null, 2));
      await fs.rename(tmp, file);
    },
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
  await registry.write(document);
  return registry;
}
