/**
 * The generated protobuf code for relocation events (from proto/passerelle/relocation/v1), by path
 * for the same reason as job-match.proto.ts (the contracts index loads an ES module jest cannot require).
 */
export { RelocationEvent, ReferralTransition, OfferChange } from '../../../contracts/src/generated/passerelle/relocation/v1/referral_event';
