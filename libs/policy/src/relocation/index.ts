export * from './offer-terms';
export * from './referral-lifecycle';
export * from './willingness';
export * from './outcomes';
export * from './language-fit';
export * from './posting-language-fit';
