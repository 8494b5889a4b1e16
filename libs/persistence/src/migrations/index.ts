import { Foundation1764000000000 } from './1764000000000-foundation';
import { ClaimantRecords1795450000000 } from './1795450000000-claimant-records';
import { Consents1795460000000 } from './1795460000000-consents';
import { AgencyRequestJtis1795470500000 } from './1795470500000-agency-request-jtis';
import { Ledger1795471000000 } from './1795471000000-ledger';
import { JobMatches1795480000000 } from './1795480000000-job-matches';
import { ProgramApplications1795490000000 } from './1795490000000-program-applications';
import { AppLogins1795500000000 } from './1795500000000-app-logins';
import { ProgramStreams1795510000000 } from './1795510000000-program-streams';
import { RelocationOffers1795520000000 } from './1795520000000-relocation-offers';
import { ConsentDestinations1795521000000 } from './1795521000000-consent-destinations';
import { EnglishLevel1795522000000 } from './1795522000000-english-level';
import { ReferralLifecycle1795523000000 } from './1795523000000-referral-lifecycle';
import { LedgerCheckpoints1795530000000 } from './1795530000000-ledger-checkpoints';
import { AgencyRateBuckets1795540000000 } from './1795540000000-agency-rate-buckets';
import { LedgerSequencing1795560000000 } from './1795560000000-ledger-sequencing';
import { ClaimantWindowIndex1795561000000 } from './1795561000000-claimant-window-index';
import { RelocationEvents1795564000000 } from './1795564000000-relocation-events';
import { ClaimantMerged1795563000000 } from './1795563000000-claimant-merged';
import { EmploymentPeriods1795565000000 } from './1795565000000-employment-periods';
import { SpotsVersions1795570000000 } from './1795570000000-spots-versions';
import { SpotsChanges1795571000000 } from './1795571000000-spots-changes';
import { PostingLanguageLevels1795569000000 } from './1795569000000-posting-language-levels';

/** Every migration, in order. Add new ones at the end (file name: <timestamp>-<what>.ts). */
export const migrations = [Foundation1764000000000, ClaimantRecords1795450000000, Consents1795460000000, AgencyRequestJtis1795470500000, Ledger1795471000000, JobMatches1795480000000, ProgramApplications1795490000000, AppLogins1795500000000, ProgramStreams1795510000000, RelocationOffers1795520000000, ConsentDestinations1795521000000, EnglishLevel1795522000000, ReferralLifecycle1795523000000, LedgerCheckpoints1795530000000, AgencyRateBuckets1795540000000, LedgerSequencing1795560000000, ClaimantWindowIndex1795561000000, ClaimantMerged1795563000000, RelocationEvents1795564000000, EmploymentPeriods1795565000000, PostingLanguageLevels1795569000000, SpotsVersions1795570000000, SpotsChanges1795571000000];
