import type { consentAudit } from '@passerelle/contracts';
import type { EntryToSequence } from '@passerelle/persistence';
// The ledger's own entry rules (validation, stamping, canonical text): one definition for every sequencer.
import { entryToSequenceFor } from '../../../consent-audit/src/ledger/ledger-entry';
import { InvalidArgument } from '../../../consent-audit/src/ledger/ledger-errors';
import { RefusedForGood } from './dependency';

/** gRPC INVALID_ARGUMENT: what consent-audit answers for the same entry. */
const INVALID_ARGUMENT = 3;

/**
 * Pure: the consumer's ledger entries as ledger_sequence_entries() takes them, validated and
 * stamped exactly as consent-audit does for an AppendBatch (one time and one registry version for
 * all of them, as its writer gives one batch). An entry the ledger would refuse throws
 * RefusedForGood (INVALID_ARGUMENT, naming the entry's index and the rule, never a value) before
 * anything is written: the chunk is then taken apart and that event dead-lettered.
 */
export function entriesToSequence(inputs: readonly consentAudit.AuditEntryInput[], time: string, registryVersion: string | undefined): EntryToSequence[] {
  return inputs.map((input, i) => {
    try {
      return entryToSequenceFor(time, input, registryVersion);
    } catch (e) {
      if (e instanceof InvalidArgument) throw new RefusedForGood(INVALID_ARGUMENT, 'refused_invalid_argument', `entries[${i}]: ${e.message}`, 'the ledger');
      throw e;
    }
  });
}
