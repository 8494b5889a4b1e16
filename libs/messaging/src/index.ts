export * from './kafka';
export * from './job-match';
export * from './outbox-relay';
export * from './referral';
