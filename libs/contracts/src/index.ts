export * from './proto-files';
export * as consentAudit from './generated/passerelle/consentaudit/v1/consent_audit';
