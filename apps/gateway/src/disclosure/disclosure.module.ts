import { Module } from '@nestjs/common';
import { ClaimantRecordsRepository } from './claimant-records.repository';
import { cursorKeysProvider } from './cursor-key.provider';
import { DisclosureService } from './disclosure.service';

/** The one disclosure path (access → candidates → consent → merge → filter → page → note), shared by claimants, matches and programs. */
@Module({
  providers: [ClaimantRecordsRepository, cursorKeysProvider, DisclosureService],
  exports: [DisclosureService],
})
export class DisclosureModule {}
