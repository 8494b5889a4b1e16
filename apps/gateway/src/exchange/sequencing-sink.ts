import { Inject, Injectable } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { sequenceEntries, type EntryToSequence } from '@passerelle/persistence';
import { RegistryHolder } from '@passerelle/registry';
import { DataSource } from 'typeorm';
// The ledger's own entry rules (validation, stamping, canonical text): one definition for both sequencers.
import { entryToSequenceFor } from '../../../consent-audit/src/ledger/ledger-entry';
import type { AuditSink } from './audit-sink';

/** most entries in one sequencing statement */
export const MAX_SEQUENCE_BATCH = 1000;

interface Pending {
  input: consentAudit.AuditEntryInput;
  entry?: EntryToSequence;
  resolve: (r: { seq: number }) => void;
  reject: (e: unknown) => void;
}

/**
 * Sequence now, integrate soon (docs/ledger.md): the gateway writes its exchanges' entries itself,
 * through ledger_sequence_entries(), in ONE statement per event-loop turn — no gRPC hop to
 * consent-audit. Each caller is answered with its seq once the statement has committed: the entry
 * is durable and sequenced (its `audit_seq` a promise consent-audit's integrator keeps within the
 * maximum merge delay). A rollback (error, lock_timeout) takes no seq and writes nothing, and no
 * one commits the entry after the caller gave up: the caller waits for the outcome of its own
 * transaction (docs/threat-model.md row 23).
 *
 * Entries are validated and stamped exactly as consent-audit does for an Append, so an entry the
 * ledger would have refused (e.g. a subject that is not an internal id) fails its own exchange only.
 */
@Injectable()
export class SequencingAuditSink implements AuditSink {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  append(input: consentAudit.AuditEntryInput): Promise<{ seq: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush() {
    this.scheduled = false;
    // One time per batch, as consent-audit's writer does: the entries of one statement share it.
    const time = new Date().toISOString();
    const version = this.registry.current().version;
    const ready: Pending[] = [];
    for (const p of this.queue.splice(0)) {
      try {
        p.entry = entryToSequenceFor(time, p.input, version);
        ready.push(p);
      } catch (e) {
        p.reject(e);
      }
    }
    for (let i = 0; i < ready.length; i += MAX_SEQUENCE_BATCH) this.send(ready.slice(i, i + MAX_SEQUENCE_BATCH));
  }

  private send(batch: Pending[]) {
    sequenceEntries(this.dataSource, batch.map((p) => p.entry!)).then(
      (first) => batch.forEach((p, i) => p.resolve({ seq: first + i })),
      (err: unknown) => {
        this.logger.error({ err, batchSize: batch.length }, 'ledger entries not sequenced: nothing was recorded');
        batch.forEach((p) => p.reject(err));
      },
    );
  }
}
