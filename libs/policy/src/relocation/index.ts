export * from './offer-terms';
export * from './referral-lifecycle';
export * from './willingness';
