import { signAsGateway, type GatewayKeys } from '@passerelle/crypto';
import type { ConsentRow } from './consents.repository';

export const CONSENT_RECEIPT_TYP = 'consent-receipt+jwt';

/** The receipt's claims: what was consented, to whom, by whose hand; never the person. */
export function receiptClaims(gatewayId: string, row: ConsentRow, now: Date): Record<string, unknown> {
  return {
    iss: gatewayId,
    iat: Math.floor(now.getTime() / 1000),
    consent_id: row.id,
    purpose: row.purpose,
    recipient: row.recipient,
    collected_by: row.collectedBy,
    valid_from: row.validFrom.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    evidence_sha256: row.evidenceSha256,
    granted_at: row.grantedAt.toISOString(),
    ...(row.destinations?.length ? { destinations: row.destinations } : {}),
    ...(row.revokedAt ? { revoked_at: row.revokedAt.toISOString(), revoked_by: row.revokedBy } : {}),
  };
}

/** A compact JWS by the gateway key, typ consent-receipt+jwt. */
export function signReceipt(keys: GatewayKeys, gatewayId: string, row: ConsentRow, now = new Date()): Promise<string> {
  return signAsGateway(keys, CONSENT_RECEIPT_TYP, receiptClaims(gatewayId, row, now));
}
