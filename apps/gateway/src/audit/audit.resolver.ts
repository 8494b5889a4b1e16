import { Args, Float, Int, Query, Resolver } from '@nestjs/graphql';
import { Requires } from '../auth';
import { AuditEntry, AuditEntryConnection, AuditEntryFilter, SignedTreeHead } from './dto/audit-types';
import { AuditService } from './audit.service';

/** Operators' GraphQL view of the ledger. Thin: decorators, then one call into AuditService. */
@Resolver(() => AuditEntry)
@Requires({ role: 'OPERATOR', purposes: ['AUDIT_REVIEW'] })
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Query(() => AuditEntryConnection, { description: 'Ledger entries, newest first, filtered; page with `after: endCursor`.' })
  auditEntries(
    @Args('filter', { type: () => AuditEntryFilter, nullable: true }) filter: AuditEntryFilter | undefined,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first: number | undefined,
    @Args('after', { type: () => String, nullable: true }) after: string | undefined,
  ): Promise<AuditEntryConnection> {
    return this.audit.search(filter, first ?? undefined, after ?? undefined);
  }

  @Query(() => AuditEntry, { description: 'One ledger entry by seq (NOT_FOUND beyond the last one).' })
  auditEntry(@Args('seq', { type: () => Float }) seq: number): Promise<AuditEntry> {
    return this.audit.entry(seq);
  }

  @Query(() => SignedTreeHead, { description: 'The newest signed tree head covering every committed entry.' })
  signedTreeHead(): Promise<SignedTreeHead> {
    return this.audit.signedTreeHead();
  }
}
