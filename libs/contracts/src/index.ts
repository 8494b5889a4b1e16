export * from './proto-files';
export * as consentAudit from './generated/passerelle/consentaudit/v1/consent_audit';
export * as jobbank from './generated/passerelle/jobbank/v1/job_match';
export * from './ledger-entry';
export * as relocation from './generated/passerelle/relocation/v1/referral_event';
export * from './canonical-text';
