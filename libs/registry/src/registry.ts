import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';
import { DEFAULT_CONSENT_REQUIRED_FOR, type Agency, type Agreement, type Program, type Purpose, type RegistryDocument, type RegistryKey, type Role } from './types';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** The UTC calendar day of an instant, YYYY-MM-DD: agreement validity is by calendar day. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Pure: whether an agreement is in force on the given instant (validFrom..validTo inclusive, UTC days). */
export function agreementInForce(agreement: Pick<Agreement, 'validFrom' | 'validTo'>, at: Date): boolean {
  const day = utcDay(at);
  return agreement.validFrom <= day && day <= agreement.validTo;
}

/** SHA-256 (lowercase hex) of a registry file's exact bytes: the version ledger entries name. */
export function registryVersion(fileText: string | Uint8Array): string {
  return createHash('sha256').update(fileText).digest('hex');
}

/**
 * A program's version as ledger entries name it: "<id>@<SHA-256 hex of the JCS text of its
 * registry definition>", so a change to any rule of the program changes the version.
 */
export function programVersion(program: Program): string {
  return `${program.id}@${createHash('sha256').update(canonicalize(program)).digest('hex')}`;
}

/** The agreement of this id, for the legal basis it names. */
export function agreementById(document: Pick<RegistryDocument, 'agreements'>, id: string): Agreement | undefined {
  return document.agreements.find((a) => a.id === id);
}

/**
 * An indexed, immutable view of a checked registry document. Build it from the output of
 * `checkRegistryText` / `loadRegistryFile` (it does not re-validate).
 */
export class Registry {
  readonly document: Readonly<RegistryDocument>;
  private readonly agencies = new Map<string, Agency>();
  private readonly keysByKid = new Map<string, { agency: Agency; key: RegistryKey }>();
  private readonly consentPurposes: ReadonlySet<Purpose>;

  /**
   * The registry version: lowercase hex SHA-256 of the file bytes it was loaded from (of the
   * document's JSON text when built in memory). Ledger entries name it (docs/contract.md §5).
   */
  readonly version: string;

  constructor(document: RegistryDocument, version?: string) {
    this.document = deepFreeze(structuredClone(document));
    this.version = version ?? registryVersion(JSON.stringify(document));
    for (const agency of this.document.agencies) {
      this.agencies.set(agency.id, agency);
      for (const key of agency.keys) this.keysByKid.set(key.kid, { agency, key });
    }
    this.consentPurposes = new Set(this.document.consentRequiredFor ?? DEFAULT_CONSENT_REQUIRED_FOR);
  }

  get gatewayId(): string {
    return this.document.gatewayId;
  }

  agency(id: string): Agency | undefined {
    return this.agencies.get(id);
  }

  /** The key `kid` of agency `agencyId` (undefined when that agency does not own it). */
  key(agencyId: string, kid: string): RegistryKey | undefined {
    const found = this.keysByKid.get(kid);
    return found && found.agency.id === agencyId ? found.key : undefined;
  }

  /** Which agency owns a kid (kids are unique across the registry). */
  keyByKid(kid: string): { agency: Agency; key: RegistryKey } | undefined {
    return this.keysByKid.get(kid);
  }

  hasRole(agencyId: string, role: Role): boolean {
    return this.agencies.get(agencyId)?.roles.includes(role) ?? false;
  }

  /** Agreements to `consumer` (from `provider`, for `purpose` when given) in force at `at`. */
  agreementsFor(query: { provider?: string; consumer: string; purpose?: Purpose; at: Date }): Agreement[] {
    return this.document.agreements.filter(
      (a) =>
        a.consumer === query.consumer &&
        (query.provider === undefined || a.provider === query.provider) &&
        (query.purpose === undefined || a.purposes.includes(query.purpose)) &&
        agreementInForce(a, query.at),
    );
  }

  consentRequired(purpose: Purpose): boolean {
    return this.consentPurposes.has(purpose);
  }

  /**
   * Whether the registry declares `agency` a collector of consent for `purpose` to `recipient`.
   * Never for an agency's own consent: a recipient does not collect consent to itself.
   */
  mayCollectConsent(agency: string, purpose: string, recipient: string): boolean {
    if (agency === recipient) return false;
    return (this.document.consentCollectors ?? []).some(
      (c) => c.agency === agency && (c.purposes as readonly string[]).includes(purpose) && c.recipients.includes(recipient),
    );
  }

  /** Whether `agency` is declared a consent collector for any purpose and recipient. */
  isConsentCollector(agency: string): boolean {
    return (this.document.consentCollectors ?? []).some((c) => c.agency === agency);
  }
}
