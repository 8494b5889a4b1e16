export * from './referral-event.signature';
export * from './referral-event.proto';
