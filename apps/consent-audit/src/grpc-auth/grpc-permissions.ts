/** An RPC of passerelle.consentaudit.v1 as `Service/Method`. */
export type ConsentAuditRpc =
  | 'Ledger/Append'
  | 'Ledger/AppendBatch'
  | 'Ledger/GetSignedTreeHead'
  | 'Ledger/GetEntries'
  | 'Ledger/GetInclusionProof'
  | 'Ledger/GetConsistencyProof'
  | 'Ledger/SearchEntries'
  | 'Ledger/Disclosures'
  | 'Ledger/Aggregates'
  | 'Ledger/GetCheckpoint'
  | 'Consents/Record'
  | 'Consents/Revoke'
  | 'Consents/List'
  | 'Consents/InForce'
  | 'Decisions/Decide';

/**
 * The one declared table of who may call what on consent-audit: identity (the CN of a client
 * certificate issued by the apps' CA) -> the RPCs it needs. Deny by default: an identity or an RPC
 * not listed here is refused, whatever certificate the caller holds.
 */
export const GRPC_PERMISSIONS: Readonly<Record<string, readonly ConsentAuditRpc[]>> = {
  // Records every exchange; serves the /audit routes and disclosures(); records and revokes consents
  // in the name of the agency whose signed exchange it verified; asks Decide before any disclosure.
  gateway: [
    'Ledger/Append',
    'Ledger/AppendBatch',
    'Ledger/GetSignedTreeHead',
    'Ledger/GetEntries',
    'Ledger/GetInclusionProof',
    'Ledger/GetConsistencyProof',
    'Ledger/SearchEntries',
    'Ledger/Disclosures',
    'Ledger/Aggregates',
    'Ledger/GetCheckpoint',
    'Consents/Record',
    'Consents/Revoke',
    'Consents/List',
    'Decisions/Decide',
  ],
  // Audits each job-match event; checks the JOB_MATCHING consents in force; lists a claimant's
  // consents for the purge job. It never records or revokes a consent, nor reads the ledger.
  // Its events' entries are sequenced in its own store transaction (ledger_sequence_entries); Append is for its registry loads.
  'job-match-consumer': ['Ledger/Append', 'Consents/InForce', 'Consents/List'],
};

const PACKAGE_PREFIX = '/passerelle.consentaudit.v1.';

/** `/passerelle.consentaudit.v1.Ledger/Append` -> `Ledger/Append`; null for a path outside the package. */
export function rpcOfPath(path: string): string | null {
  return path.startsWith(PACKAGE_PREFIX) ? path.slice(PACKAGE_PREFIX.length) : null;
}

export type GrpcVerdict = { ok: true } | { ok: false; status: 'unauthenticated' | 'permission_denied'; message: string };

/** Pure: may `identity` (undefined when the caller showed no certificate) call `rpc`? */
export function decideGrpcCall(identity: string | undefined, rpc: string | null, table = GRPC_PERMISSIONS): GrpcVerdict {
  if (!identity) return { ok: false, status: 'unauthenticated', message: 'a client certificate issued by the apps\' CA is required' };
  const allowed = Object.prototype.hasOwnProperty.call(table, identity) ? table[identity] : undefined;
  if (!allowed) return { ok: false, status: 'permission_denied', message: `identity ${identity} may call no consent-audit RPC` };
  if (rpc === null || !(allowed as readonly string[]).includes(rpc)) {
    return { ok: false, status: 'permission_denied', message: `identity ${identity} may not call ${rpc ?? 'this method'}` };
  }
  return { ok: true };
}
