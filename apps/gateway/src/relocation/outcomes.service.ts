import { Inject, Injectable } from '@nestjs/common';
import { checkOutcomeGroupBy, protectOutcomes, quarterOf, type OutcomeRow } from '@passerelle/policy';
import { agreementInForce, RegistryHolder, type Registry } from '@passerelle/registry';
import { BadUserInput, NoAgreement } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import type { OutcomeDimensionEnum, RelocationOutcomes } from './dto/outcomes.types';
import { OutcomesRepository } from './outcomes.repository';

/** Jurisdiction of an agency no longer in the registry. */
const UNKNOWN = 'UNKNOWN';

/**
 * relocationOutcomes(period, groupBy): what the initiative produced in a calendar quarter, as
 * protected counts (libs/policy relocation/outcomes). Who may ask: a party to a RELOCATION
 * agreement in force (either side). A federal agency (jurisdiction CA) sees every row, the
 * federal program officer's view; a province sees only the rows from or to itself, the
 * referrals it made or received.
 */
@Injectable()
export class OutcomesService {
  constructor(
    private readonly repository: OutcomesRepository,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async outcomes(caller: VerifiedCaller, period: string, groupBy: readonly string[] | null | undefined): Promise<RelocationOutcomes> {
    const registry = this.registry.current();
    if (!partyToRelocation(registry, caller.agency, new Date())) {
      throw new NoAgreement(`no RELOCATION agreement in force names ${caller.agency}: relocation outcomes are for the parties to the initiative`);
    }
    const quarter = quarterOf(period);
    if (!quarter) throw new BadUserInput('period must be a calendar quarter YYYY-Qn, e.g. 2026-Q4 (quarters never overlap, so no answer can be differenced from another)');
    const dims = checkOutcomeGroupBy(groupBy);
    if (!dims.ok) throw new BadUserInput(dims.reason);
    const jurisdiction = registry.agency(caller.agency)?.jurisdiction ?? UNKNOWN;
    const scope = jurisdiction === 'CA' ? 'ALL' : jurisdiction;
    const inScope = (from: string, to: string) => scope === 'ALL' || from === scope || to === scope;
    const where = (agency: string) => registry.agency(agency)?.jurisdiction ?? UNKNOWN;
    const [counted, offered] = await Promise.all([this.repository.referrals(quarter.from, quarter.to), this.repository.offers(quarter.from, quarter.to)]);
    const rows: OutcomeRow[] = counted
      .map((r) => ({ fromProvince: where(r.referredBy), toProvince: where(r.toAgency), noc: r.noc, status: r.status, referrals: r.referrals, acceptances: r.acceptances, moves: r.moves, jobs: r.jobs }))
      .filter((r) => inScope(r.fromProvince, r.toProvince));
    const mayRefer = scope === 'ALL' || registry.document.agreements.some((a) => a.provider === caller.agency && a.purposes.includes('RELOCATION') && agreementInForce(a, new Date()));
    return {
      period: quarter.id,
      groupBy: dims.value as OutcomeDimensionEnum[],
      scope,
      cells: protectOutcomes(rows, dims.value),
      // Offers hold no claimant data: a referring agency sees every offer, a receiving province its own.
      offers: offered.filter((o) => mayRefer || o.province === scope).map((o) => ({ toProvince: o.province, noc: o.noc, offers: o.offers, places: o.places })),
    };
  }
}

/** A party (provider or consumer) to a RELOCATION agreement in force at `at`. */
export function partyToRelocation(registry: Registry, agency: string, at: Date): boolean {
  return registry.document.agreements.some((a) => (a.provider === agency || a.consumer === agency) && a.purposes.includes('RELOCATION') && agreementInForce(a, at));
}
