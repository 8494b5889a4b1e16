import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Agency, Agreement, RegistryDocument } from '@passerelle/registry';

/** A fresh gateway-internal id, as the gateway would derive one (never a raw identifier). */
export function newInternalId(): string {
  return `i_${randomBytes(16).toString('base64url')}`;
}

/** base64url SHA-256 of a (pretend) signed consent form. */
export function evidenceOf(form = randomBytes(32).toString('hex')): string {
  return createHash('sha256').update(form).digest('base64url');
}

export function agency(id: string, roles: Agency['roles'], keys: Agency['keys'] = []): Agency {
  return { id, names: { en: id, fr: id }, jurisdiction: id.startsWith('qc.') ? 'QC' : id.startsWith('on.') ? 'ON' : 'CA', roles, keys };
}

export function agreement(overrides: Partial<Agreement> & Pick<Agreement, 'id' | 'provider' | 'consumer'>): Agreement {
  return { purposes: ['JOB_MATCHING'], fields: ['province', 'nocCode', 'frenchLevel'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement', ...overrides };
}

/** The registry the consent tests use: MIFI provides to ESDC for job matching (consent needed) and statistics (not). */
export function consentTestRegistry(extraAgencies: Agency[] = []): RegistryDocument {
  const known = new Set(extraAgencies.map((a) => a.id));
  const base = [agency('qc.mifi', ['PROVIDER', 'CONSUMER']), agency('ca.esdc', ['CONSUMER', 'PUBLISHER']), agency('on.mltsd', ['CONSUMER'])].filter((a) => !known.has(a.id));
  return {
    gatewayId: 'passerelle-test',
    agencies: [...base, ...extraAgencies],
    agreements: [
      agreement({ id: 'dsa-mifi-esdc-jobs', provider: 'qc.mifi', consumer: 'ca.esdc' }),
      agreement({ id: 'dsa-mifi-esdc-stats', provider: 'qc.mifi', consumer: 'ca.esdc', purposes: ['STATISTICS'], fields: ['province'] }),
      agreement({ id: 'dsa-mifi-mltsd-old', provider: 'qc.mifi', consumer: 'on.mltsd', purposes: ['RELOCATION'], validFrom: '2020-01-01', validTo: '2020-12-31' }),
    ],
    programs: [],
    consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
    // MIFI, in contact with the claimants, collects their consents; the recipients never do.
    consentCollectors: [{ agency: 'qc.mifi', purposes: ['JOB_MATCHING', 'RELOCATION'], recipients: ['ca.esdc', 'on.mltsd'] }],
  };
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}
