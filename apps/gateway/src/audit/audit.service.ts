import { Injectable } from '@nestjs/common';
import type { consentAudit, LedgerEntryJson } from '@passerelle/contracts';
import { BadUserInput, NotFound, Unavailable } from '../errors';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, type AuditDecisionEnum, type AuditEntry, type AuditEntryConnection, type AuditEntryFilter, type SignedTreeHead } from './dto/audit-types';
import { toSeries, type AggregateRange, type AggregateSeries } from './aggregate-params';
import { LedgerCallError, LedgerClient } from './ledger.client';

/** Operator access to the ledger (REST shapes of docs/contract.md §5, and the GraphQL ones). */
@Injectable()
export class AuditService {
  constructor(private readonly ledger: LedgerClient) {}

  // ------------------------------------------------------------------ REST

  /** The latest head, and beside it (not signed) the promises beyond it: what `audit verify` checks against the MMD. */
  async sth(): Promise<{ tree_size: number; root_hash: string; timestamp: number; jws: string; sequenced_size: number; pending_since: number; mmd_ms: number }> {
    const h = await this.ledger.signedTreeHead(0);
    return {
      tree_size: Number(h.treeSize),
      root_hash: h.rootHash,
      timestamp: Number(h.timestamp),
      jws: h.jws,
      sequenced_size: Number(h.sequencedSize ?? h.treeSize),
      pending_since: Number(h.pendingSince ?? 0),
      mmd_ms: Number(h.mmdMs ?? 0),
    };
  }

  /** Entries start..end as parsed objects; JCS(each) is exactly the stored canonical text. */
  async entries(start: number, end: number): Promise<{ entries: LedgerEntryJson[] }> {
    const res = await this.ledger.entries(start, end);
    return { entries: res.entries.map((e) => JSON.parse(e.canonicalJson) as LedgerEntryJson) };
  }

  /** The C2SP checkpoint with the cosignatures collected so far (docs/witness.md). */
  async checkpoint(treeSize: number): Promise<{ tree_size: number; checkpoint: string; cosigned_by: string[]; log_vkey: string }> {
    const c = await this.ledger.checkpoint(treeSize);
    return { tree_size: Number(c.treeSize), checkpoint: c.note, cosigned_by: c.cosignedBy ?? [], log_vkey: c.logVkey };
  }

  async inclusionProof(seq: number, treeSize: number): Promise<{ leaf_index: number; audit_path: string[] }> {
    const res = await this.ledger.inclusionProof(seq, treeSize);
    return { leaf_index: res.leafIndex, audit_path: res.auditPath };
  }

  async consistencyProof(first: number, second: number): Promise<{ consistency: string[] }> {
    const res = await this.ledger.consistencyProof(first, second);
    return { consistency: res.consistency };
  }

  /** Entry counts per bucket and per value of `by`, grouped by the ledger in SQL: never subjects. */
  async aggregates(range: AggregateRange): Promise<AggregatesAnswer> {
    const res = await this.ledger.aggregates({ since: range.since.toISOString(), until: range.until.toISOString(), by: range.by, bucketSeconds: range.bucketSeconds });
    const series = toSeries(range, res.counts.map((c) => ({ bucket: c.bucket, key: c.key, count: Number(c.count) })));
    return {
      window: range.window,
      by: range.by,
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      bucket_seconds: range.bucketSeconds,
      buckets: range.buckets.map((b) => b.toISOString()),
      series,
      total: series.reduce((n, s) => n + s.total, 0),
    };
  }

  // ------------------------------------------------------------------ GraphQL

  async signedTreeHead(): Promise<SignedTreeHead> {
    return graphqlErrors(async () => {
      const h = await this.ledger.signedTreeHead(0);
      return { treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp, jws: h.jws };
    });
  }

  async entry(seq: number): Promise<AuditEntry> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new BadUserInput('seq must be a whole number ≥ 0');
    return graphqlErrors(async () => {
      try {
        return toAuditEntry((await this.ledger.entries(seq, seq)).entries[0]);
      } catch (e) {
        if (e instanceof LedgerCallError && e.kind === 'out_of_range') throw new NotFound(`no ledger entry ${seq}: it is beyond the last one`);
        throw e;
      }
    });
  }

  async search(filter: AuditEntryFilter | undefined, first: number | undefined, after: string | undefined): Promise<AuditEntryConnection> {
    const pageSize = first ?? AUDIT_PAGE_DEFAULT;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > AUDIT_PAGE_MAX) throw new BadUserInput(`first must be between 1 and ${AUDIT_PAGE_MAX}`);
    if (after !== undefined && after !== null && !/^\d{1,16}$/.test(after)) throw new BadUserInput('after must be a cursor returned as endCursor');
    return graphqlErrors(async () => {
      const req: consentAudit.SearchEntriesRequest = {
        agency: filter?.agency ?? '',
        purpose: filter?.purpose ?? '',
        decision: (filter?.decision as AuditDecisionEnum | undefined) ?? '',
        subject: filter?.subject ?? '',
        operation: filter?.operation ?? '',
        since: filter?.since ?? '',
        until: filter?.until ?? '',
        first: pageSize,
        beforeSeq: after ? Number(after) : 0,
      };
      const res = await this.ledger.search(req);
      const nodes = res.entries.map(toAuditEntry);
      return { nodes, hasMore: res.hasMore, endCursor: nodes.length ? String(nodes[nodes.length - 1].seq) : null };
    });
  }
}

export interface AggregatesAnswer {
  window: string;
  by: string;
  since: string;
  until: string;
  bucket_seconds: number;
  buckets: string[];
  series: AggregateSeries[];
  total: number;
}

/** Pure: the GraphQL view of one stored entry (exported for its unit test). */
export function toAuditEntry(e: consentAudit.LedgerEntry): AuditEntry {
  const o = JSON.parse(e.canonicalJson) as LedgerEntryJson;
  return {
    seq: o.seq,
    time: o.time,
    agency: o.agency,
    kid: o.kid,
    jti: o.jti,
    purpose: o.purpose,
    operation: o.operation,
    decision: o.decision as AuditDecisionEnum,
    reason: o.reason,
    subjects: o.subjects,
    fields: o.fields,
    requestSha256: o.request_sha256,
    responseSha256: o.response_sha256,
    requestId: o.request_id,
    agreements: o.agreements ?? [],
    legalBasis: o.legal_basis ?? [],
    consents: o.consents ?? [],
    programVersion: o.program_version ?? null,
    registryVersion: o.registry_version ?? null,
    rule: o.rule ?? null,
    canonicalJson: e.canonicalJson,
  };
}

/** Ledger failures as the GraphQL contract's codes. */
async function graphqlErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (!(e instanceof LedgerCallError)) throw e;
    if (e.kind === 'bad_request' || e.kind === 'out_of_range') throw new BadUserInput(e.message);
    if (e.kind === 'not_found') throw new NotFound(e.message);
    throw new Unavailable(e.message);
  }
}
