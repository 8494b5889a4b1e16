import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../auth/request-of';
import { noteBasis, noteDisclosure, noteRelied, type BasisVerdict, type ExchangeRecord } from '../exchange/exchange-context';

/**
 * Where a service writes what it disclosed: the ledger entry of the exchange names these
 * subjects (internal ids) and fields. Services take this plain handle, never the request;
 * refusals are recorded by the one DomainError filter.
 */
export interface DisclosureNote {
  disclosed(subjects: Iterable<string>, fields: Iterable<string>): void;
  /**
   * What the disclosure relied on: the permits among Decide's verdicts (agreement, legal basis,
   * consents, registry version) and the program that decided, for the entry's legal basis (§5).
   */
  relied(verdicts: Iterable<BasisVerdict>, programVersion?: string): void;
}

/** A note that writes into the exchange record of this request. */
export const Disclosures = createParamDecorator((_data: unknown, ctx: ExecutionContext): DisclosureNote => {
  const request = requestOf(ctx);
  // The guard refuses unverified calls first; reaching here without an exchange is a wiring bug.
  if (!request?.exchange) throw new Error('@Disclosures() used on a request without an exchange');
  return {
    disclosed: (subjects, fields) => noteDisclosure(request, subjects, fields),
    relied: (verdicts, programVersion) => noteRelied(request, verdicts, programVersion),
  };
});

/** A note that keeps what it is told, for unit tests and internal callers. */
export function recordingNote(): DisclosureNote & { subjects: Set<string>; fields: Set<string>; record: ExchangeRecord } {
  const subjects = new Set<string>();
  const fields = new Set<string>();
  const record: ExchangeRecord = { operation: 'test', decision: 'PERMIT', reason: 'ok', subjects, fields };
  return {
    subjects,
    fields,
    record,
    relied: (verdicts, programVersion) => noteBasis(record, verdicts, programVersion),
    disclosed: (s, f) => {
      for (const x of s) subjects.add(x);
      for (const x of f) fields.add(x);
    },
  };
}
