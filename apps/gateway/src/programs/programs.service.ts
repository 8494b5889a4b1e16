import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import {
  applyRuleChange,
  CONDITION_FIELD,
  dayOf,
  decidingReasons,
  EMPTY_SPOT_DIMENSIONS,
  EMPTY_SPOT_FIELD,
  evaluateProgram,
  releaseSpots,
  type EmptySpotDimension,
  type FieldSituation,
  type ProgramCondition,
  type ProtectedSpotCell,
  type RuleChange,
  type SpotQuery,
  isConsentReason,
  parsePrograms,
  periodOf,
  periodsOf,
  placesLeft,
  PROGRAM_ID,
  programFields,
  programStreams,
  protectedUptake,
  UPTAKE_DIMENSIONS,
  type ClaimantView,
  type EmploymentPeriod,
  type Period,
  type ProgramDefinition,
  type ProgramEvaluation,
  type ResolvedStream,
  type UptakeDimension,
} from '@passerelle/policy';
import { programVersion, RegistryHolder, type Agreement } from '@passerelle/registry';
import type { MergedClaimant } from '../claimants/claimant-access';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import { BadUserInput, Conflict, ConsentRequired, NoAgreement, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { CLAIMANT_NOT_FOUND, DisclosureService, type DisclosureNote } from '../disclosure';
import type { Eligibility, EligibilityOutcomeEnum, ConditionResultEnum, ProgramApplication, ProgramUptake, ProgramWithdrawal, ApplicationStatusEnum, EligibleNotApplied, EmptySpotCell, EmptySpotDimensionEnum, RuleSimulation, SpotCounts } from './dto/program-types';
import { EmptySpotsRepository, SPOT_FIELDS, type FieldProviders, type SpotField } from './empty-spots.repository';
import { SpotsSnapshots } from './spots-snapshots';
import { ProgramsRepository, type ProgramEventSink } from './programs.repository';
import { PROGRAMS_TOPIC } from './programs.tokens';
import { ProgramsOutboxRelay } from './programs-outbox.relay';

const PACER_INTERVAL_MS = 60_000;

interface Seen {
  subject: string;
  evaluation: ProgramEvaluation;
  merged: MergedClaimant;
  /** fields whose values the evaluation used (what it discloses) */
  used: string[];
  /** per field read: who holds it, what is missing (for the reasons) */
  situations: Record<string, FieldSituation>;
}

/** The most a rule change may weigh (JSON characters). */
const MAX_RULE_CHANGE = 8_000;

/**
 * Programs from the registry: eligibility of one claimant on what the caller may see, counting
 * applications against caps, and uptake. Rules live in @passerelle/policy (pure); this service
 * gathers the inputs, notes disclosures for the ledger and maps refusals to domain errors.
 */
@Injectable()
export class ProgramsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private pacer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: ProgramsRepository,
    private readonly disclosure: DisclosureService,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PROGRAMS_TOPIC) private readonly topic: string,
    private readonly relay: ProgramsOutboxRelay,
    private readonly spots: EmptySpotsRepository,
    private readonly snapshots: SpotsSnapshots,
  ) {}

  /**
   * A new programme year's places admit the waiting without anyone applying: once a minute, each
   * paced stream of a program with a waitlist is asked for its due promotions (under its lock).
   */
  onApplicationBootstrap() {
    this.pacer = setInterval(() => void this.promoteDue(new Date()), PACER_INTERVAL_MS);
    this.pacer.unref();
  }

  onApplicationShutdown() {
    if (this.pacer) clearInterval(this.pacer);
  }

  /** Admits, in each paced waitlisted stream, the waiting claimants `at`'s programme year has places for. */
  async promoteDue(at: Date): Promise<number> {
    let promoted = 0;
    for (const program of this.registry.current().document.programs) {
      if (program.waitlist !== true) continue;
      for (const stream of programStreams(parsePrograms([program])[0])) {
        if (!stream.pacing) continue;
        try {
          promoted += await this.repository.promoteDue(stream, dayOf(at), this.events);
        } catch (err) {
          this.logger.warn({ program: stream.program, stream: stream.id, err: { message: (err as Error).message } }, 'program waitlist: promotion failed, will retry');
        }
      }
    }
    if (promoted > 0) {
      this.relay.nudge();
      this.logger.info({ promoted }, 'program waitlist: claimants admitted by a new programme year');
    }
    return promoted;
  }

  /** Where the repository writes events: the applying agency's pseudonym, never the internal id, goes on the wire. */
  private get events(): ProgramEventSink {
    return { topic: this.topic, pseudonym: (agency, subject) => toAgencyPseudonym(this.keyring, agency, subject) };
  }

  async eligibility(note: DisclosureNote, caller: VerifiedCaller, programId: string, pseudonym: string, streamId?: string | null): Promise<Eligibility> {
    const program = this.program(programId);
    const stream = this.stream(program, streamId ?? null, false);
    const now = new Date();
    const seen = await this.see(note, caller, program, stream, pseudonym, now);
    return {
      program: program.id,
      stream: stream.id,
      pseudonym,
      outcome: seen.evaluation.outcome as EligibilityOutcomeEnum,
      conditions: seen.evaluation.conditions.map((c) => ({ name: c.name, kind: c.kind, field: c.field, result: c.result as ConditionResultEnum, unknownReason: c.unknownReason ?? null })),
      evaluatedAt: now.toISOString(),
      reasons: decidingReasons(seen.evaluation, seen.situations, caller).map((r) => ({ ...r, result: r.result as ConditionResultEnum })),
    };
  }

  /**
   * The empty-spots question: protected counts of claimants who meet the stream's conditions on
   * what the caller's STATISTICS agreements cover (field by field) and have not applied to the
   * program. Audited against every earlier release to the caller before anything leaves.
   */
  async eligibleNotApplied(note: DisclosureNote, caller: VerifiedCaller, programId: string, streamId: string | null | undefined, groupBy: readonly string[] | null | undefined): Promise<EligibleNotApplied> {
    const access = this.countingAccess(caller);
    const program = this.program(programId);
    const stream = this.stream(program, streamId ?? null, true);
    const dims = this.spotDimensions(groupBy);
    const out = await this.releaseCounts(note, caller, access, program, stream, dims, [{ conditions: stream.conditions, groupBy: dims, tables: ['notApplied'] }], 'eligibleNotApplied');
    return { program: program.id, stream: stream.id, groupBy: dims as EmptySpotDimensionEnum[], counts: { notApplied: out.answers[0][0], eligible: null }, uncoveredFields: out.uncovered, complementarySuppressed: out.complementary, withheld: out.withheld };
  }

  /** A what-if: the counts under the rule in force and under `change`, released (and audited) together. Nothing is changed. */
  async simulateRule(note: DisclosureNote, caller: VerifiedCaller, programId: string, streamId: string | null | undefined, rawChange: { remove?: string[] | null; set?: string | null } | null | undefined, groupBy: readonly string[] | null | undefined): Promise<RuleSimulation> {
    const access = this.countingAccess(caller);
    const program = this.program(programId);
    const stream = this.stream(program, streamId ?? null, true);
    const dims = this.spotDimensions(groupBy);
    const change = parseRuleChange(rawChange);
    let changed: ProgramDefinition;
    try {
      changed = applyRuleChange(program, stream.id, change);
    } catch (err) {
      throw new BadUserInput(`change does not make a valid program: ${(err as Error).message}`.slice(0, 2000), { reason: 'RULE_CHANGE_INVALID' });
    }
    const after = programStreams(changed).find((s) => s.id === stream.id)!;
    const tables: SpotQuery['tables'] = ['notApplied', 'eligible'];
    const out = await this.releaseCounts(note, caller, access, program, stream, dims, [
      { conditions: stream.conditions, groupBy: dims, tables },
      { conditions: after.conditions, groupBy: dims, tables },
    ], 'simulateRule', changed);
    const counts = (q: number): SpotCounts => ({ notApplied: out.answers[q][0], eligible: out.answers[q][1] });
    return { program: program.id, stream: stream.id, groupBy: dims as EmptySpotDimensionEnum[], before: counts(0), after: counts(1), uncoveredFields: out.uncovered, complementarySuppressed: out.complementary, withheld: out.withheld };
  }

  private spotDimensions(groupBy: readonly string[] | null | undefined): EmptySpotDimension[] {
    const dims = [...new Set(groupBy ?? [])];
    const bad = dims.find((d) => !(EMPTY_SPOT_DIMENSIONS as readonly string[]).includes(d));
    if (bad !== undefined) throw new BadUserInput(`groupBy may hold only ${EMPTY_SPOT_DIMENSIONS.join(', ')} (got ${JSON.stringify(bad).slice(0, 40)})`);
    return EMPTY_SPOT_DIMENSIONS.filter((d) => dims.includes(d));
  }

  /** Refused before anything is read: counts need STATISTICS agreements in force to the caller, and a registry that does not make STATISTICS a consent purpose. */
  private countingAccess(caller: VerifiedCaller): { agreements: Agreement[]; providers: FieldProviders; at: Date } {
    const registry = this.registry.current();
    if (registry.consentRequired('STATISTICS')) {
      throw new ConsentRequired('this registry requires each claimant’s consent for STATISTICS, which population counts cannot honour: no counts are published');
    }
    const at = new Date();
    const agreements = registry.agreementsFor({ consumer: caller.agency, purpose: 'STATISTICS', at });
    if (agreements.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} counts (purpose STATISTICS) from any provider`);
    const providers: FieldProviders = {};
    for (const f of SPOT_FIELDS) providers[f] = [...new Set(agreements.filter((a) => (a.fields as readonly string[]).includes(f)).map((a) => a.provider))].sort();
    return { agreements, providers, at };
  }

  /** Per-field providers → population → audited release → ledger note. */
  private async releaseCounts(
    note: DisclosureNote,
    caller: VerifiedCaller,
    access: { agreements: Agreement[]; providers: FieldProviders; at: Date },
    program: ProgramDefinition,
    stream: ResolvedStream,
    dims: EmptySpotDimension[],
    queries: SpotQuery[],
    operation: 'eligibleNotApplied' | 'simulateRule',
    changed?: ProgramDefinition,
  ): Promise<{ answers: EmptySpotCell[][][]; uncovered: string[]; complementary: number; withheld: boolean }> {
    const { agreements, providers, at: now } = access;
    const registry = this.registry.current();
    for (const d of dims) {
      const f = EMPTY_SPOT_FIELD[d];
      if ((providers[f] ?? []).length === 0) throw new NoAgreement(`cannot group by ${d}: no STATISTICS agreement in force to ${caller.agency} names the field ${f}`);
    }
    const read = [...new Set([...queries.flatMap((q) => q.conditions.map((c: ProgramCondition) => programFieldOf(c))), ...dims.map((d) => EMPTY_SPOT_FIELD[d])])].sort();
    const uncovered = read.filter((f) => (providers[f as SpotField] ?? []).length === 0);
    const used = read.filter((f) => !uncovered.includes(f));
    if (used.length === 0) throw new NoAgreement(`no STATISTICS agreement in force to ${caller.agency} names any field program '${program.id}' reads`);
    const out = await this.spots.underReleaseLock(caller.agency, async (m) => {
      const population = await this.snapshots.population(m, program.id, providers);
      const history = await this.spots.history(m, caller.agency);
      const release = releaseSpots(population, now, history, queries);
      await this.spots.record(m, caller.agency, program.id, stream.id, { operation }, release.released);
      return release;
    });
    note.disclosed([], used);
    const registryVersion = registry.version;
    note.relied(
      agreements.filter((a) => used.some((f) => (a.fields as readonly string[]).includes(f))).map((a) => ({ permit: true, agreementId: a.id, legalBasis: a.legalBasis, registryVersion })),
      changed ? undefined : this.programVersion(program.id),
    );
    this.logger.info({ program: program.id, stream: stream.id, agency: caller.agency, operation, complementary: out.complementary, withheld: out.withheld }, 'program counts released');
    const cell = (c: ProtectedSpotCell): EmptySpotCell => ({ province: c.province, noc: c.noc, claimStatus: c.claimStatus, measure: c.measure, field: c.field, count: c.count, suppressed: c.suppressed });
    return { answers: out.answers.map((q) => q.map((t) => t.map(cell))), uncovered, complementary: out.complementary, withheld: out.withheld };
  }

  async apply(note: DisclosureNote, caller: VerifiedCaller, programId: string, pseudonym: string, streamId?: string | null): Promise<ProgramApplication> {
    const program = this.program(programId);
    const stream = this.stream(program, streamId ?? null, true);
    const now = new Date();
    const day = dayOf(now);
    // Closed: refused before anything of the claimant is read.
    if (stream.window && !periodOf(stream, day)) {
      throw new BadUserInput(`stream '${stream.id}' of program '${program.id}' takes applications from ${stream.window.from} to ${stream.window.to} only`, { reason: 'PROGRAM_CLOSED' });
    }
    const seen = await this.see(note, caller, program, stream, pseudonym, now);
    if (seen.evaluation.outcome === 'NOT_ELIGIBLE') {
      const failed = seen.evaluation.conditions.filter((c) => c.result === 'NOT_MET').map((c) => c.name);
      throw new BadUserInput(`this claimant does not meet program '${program.id}': condition(s) not met: ${failed.join(', ')}`, { reason: 'NOT_ELIGIBLE', conditions: failed });
    }
    const result = await this.repository.apply({
      stream,
      subject: seen.subject,
      province: seen.merged.values.province ?? null,
      appliedBy: caller.agency,
      requestJti: caller.jti,
      day,
      events: this.events,
    });
    this.relay.nudge();
    if (result.promoted > 0) this.logger.info({ program: program.id, stream: stream.id, promoted: result.promoted }, 'program waitlist: claimants admitted');
    if (result.status === 'ALREADY_APPLIED') {
      throw new Conflict(`this claimant already counts against program '${program.id}' (a claimant counts once per program)`, { reason: 'ALREADY_APPLIED' });
    }
    if (result.status === 'CLOSED') throw new BadUserInput(result.reason, { reason: 'PROGRAM_CLOSED' });
    if (result.status === 'CAP_REACHED') {
      const message = stream.id === 'main' && stream.cap !== null && result.counted >= stream.cap ? `program '${program.id}' has reached its cap of ${stream.cap} places` : result.reason;
      throw new Conflict(message, { reason: 'CAP_REACHED', stream: stream.id, period: result.period, cap: stream.cap, counted: result.counted });
    }
    this.logger.info({ program: program.id, stream: stream.id, subject: seen.subject, agency: caller.agency, status: result.status, counted: result.counted }, 'program application recorded');
    return {
      program: program.id,
      stream: stream.id,
      pseudonym,
      status: result.status as ApplicationStatusEnum,
      reason: result.reason,
      period: result.period,
      waitlistPosition: result.position,
      outcome: seen.evaluation.outcome as EligibilityOutcomeEnum,
      counted: result.counted,
      remaining: result.remaining,
    };
  }

  /** The agency that applied withdraws the application; a place it frees admits the next in line, in the same transaction. */
  async withdraw(note: DisclosureNote, caller: VerifiedCaller, programId: string, pseudonym: string): Promise<ProgramWithdrawal> {
    const program = this.program(programId);
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CLAIMANT_NOT_FOUND);
    // The ledger entry names the claimant the withdrawal is about (no field is disclosed).
    note.disclosed([subject], []);
    const streams = new Map(programStreams(program).map((s) => [s.id, s]));
    const result = await this.repository.withdraw({ program: program.id, streams, subject, by: caller.agency, requestJti: caller.jti, day: dayOf(new Date()), events: this.events });
    this.relay.nudge();
    if (result.status === 'NOT_FOUND') throw new NotFound(`no application of yours for this claimant to program '${program.id}'`);
    this.logger.info({ program: program.id, stream: result.stream, subject, agency: caller.agency, was: result.was, promoted: result.promoted }, 'program application withdrawn');
    return { program: program.id, stream: result.stream, pseudonym, withdrew: result.was, admittedFromWaitlist: result.promoted };
  }

  /**
   * Uptake of a stream (applications, admissions, waitlist, places left, by month and/or
   * province), protected like statistics and audited, under the agency's release lock, against
   * every uptake table released to it before about the stream (uptake-release.ts): the stream's
   * counters are published as always; cells and admissions by province that would let the
   * agency solve for a group of 1–9 applications with what it holds already are withheld. What
   * is published is recorded (count_releases, operation programUptake).
   */
  async uptake(caller: VerifiedCaller, programId: string, streamId?: string | null, periodId?: string | null, groupBy?: readonly string[] | null): Promise<ProgramUptake> {
    const program = this.program(programId);
    const stream = this.stream(program, streamId ?? null, true);
    const dims = [...new Set(groupBy ?? [])];
    const bad = dims.find((d) => !(UPTAKE_DIMENSIONS as readonly string[]).includes(d));
    if (bad !== undefined) throw new BadUserInput(`groupBy may hold only ${UPTAKE_DIMENSIONS.join(', ')} (got ${JSON.stringify(bad).slice(0, 40)})`);
    let period: Period | null = null;
    if (periodId !== null && periodId !== undefined) {
      period = periodsOf(stream).find((p) => p.id === periodId) ?? null;
      if (!period) throw new BadUserInput(`stream '${stream.id}' of program '${program.id}' has no period '${String(periodId).slice(0, 20)}' (periods: ${periodsOf(stream).map((p) => p.id).join(', ')})`);
    }
    const current = period ?? periodOf(stream, dayOf(new Date()));
    const window = { from: period?.from ?? null, to: period?.to ?? null };
    // Totals anyone may ask (of every period) and the programme years placesLeft gives away: known to the audit.
    const periods = periodsOf(stream);
    const publicWindows = [{ from: null, to: null }, ...periods.map((p) => ({ from: p.from, to: p.to }))];
    const publicPeriods = stream.pacing && stream.window ? periods.map((p) => p.id) : null;
    const { out, counters } = await this.spots.underReleaseLock(caller.agency, async (m) => {
      const counters = await this.repository.streamCounters(program.id, stream.id, m);
      const applications = await this.spots.applications(m, program.id, stream.id);
      const history = await this.spots.uptakeHistory(m, caller.agency, program.id, stream.id);
      const answer = protectedUptake(applications, history, { window, groupBy: dims as UptakeDimension[], publicWindows, publicPeriods });
      await this.spots.record(m, caller.agency, program.id, stream.id, { operation: 'programUptake' }, answer.released);
      return { out: answer, counters };
    });
    const left = current ? placesLeft(stream, current, counters) : 0;
    this.logger.info({ program: program.id, stream: stream.id, agency: caller.agency, operation: 'programUptake', complementary: out.complementary, withheld: out.withheld }, 'program counts released');
    return {
      program: program.id,
      stream: stream.id,
      period: current?.id ?? null,
      cap: stream.cap,
      counted: counters.admitted,
      remaining: stream.cap === null ? null : Math.max(0, stream.cap - counters.admitted),
      placesLeft: left,
      applications: out.applications,
      admissions: out.admissions,
      waitlistLength: counters.waitlisted,
      byProvince: out.byProvince,
      cells: out.cells,
    };
  }

  /** The stream of a program: the named one, or its only one. */
  private stream(program: ProgramDefinition, id: string | null, required: boolean): ResolvedStream {
    const streams = programStreams(program);
    if (id === null) {
      if (streams.length === 1 || !required) return streams[0];
      throw new BadUserInput(`program '${program.id}' has streams (${streams.map((s) => s.id).join(', ')}): name one with stream`, { reason: 'STREAM_REQUIRED' });
    }
    const found = typeof id === 'string' ? streams.find((s) => s.id === id) : undefined;
    if (!found) throw new NotFound(`program '${program.id}' has no stream '${String(id).slice(0, 64)}' (streams: ${streams.map((s) => s.id).join(', ')})`);
    return found;
  }

  /** The program by id from the registry in force. */
  /** The version of the program in force (its id and the hash of its registry definition). */
  private programVersion(id: string): string | undefined {
    const found = this.registry.current().document.programs.find((p) => p.id === id);
    return found ? programVersion(found) : undefined;
  }

  private program(id: string): ProgramDefinition {
    if (typeof id !== 'string' || !PROGRAM_ID.test(id)) throw new BadUserInput('program must be a program id: 2–64 lowercase letters, digits or -');
    const found = this.registry.current().document.programs.find((p) => p.id === id);
    if (!found) throw new NotFound(`no program '${id}' in the registry`);
    // The registry check validated it; parse again for the types (cheap).
    return parsePrograms([found])[0];
  }

  /**
   * What the caller may see of the claimant for this program's fields (merged across providers,
   * each field decided by consent-audit), evaluated. Notes the subject and the fields used.
   */
  private async see(note: DisclosureNote, caller: VerifiedCaller, program: ProgramDefinition, stream: ResolvedStream, pseudonym: string, now: Date): Promise<Seen> {
    const access = this.disclosure.claimantAccess(caller, now);
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CLAIMANT_NOT_FOUND);
    const fields = programFields(program, stream);
    const seen = await this.disclosure.see(caller, access, [subject], fields, note);
    const merged = seen.merged.get(subject);
    if (!merged) throw new NotFound(CLAIMANT_NOT_FOUND);
    const employment = fields.includes('healthCareHours') ? await this.employment(caller, access.map.healthCareHours.providers, subject, note) : [];
    const used = fields.filter((f) => (merged.values as Record<string, unknown>)[f] !== undefined || (f === 'healthCareHours' && employment.length > 0));
    if (used.length === 0) {
      // Nothing the program reads may be shown: a denial, recorded with the subject and the fields asked for.
      note.disclosed([subject], fields);
      const withheld = merged.withheld.filter((w) => fields.includes(w.field));
      if (withheld.some((w) => isConsentReason(w.reason))) {
        throw new ConsentRequired(`no consent of this claimant is in force for ${caller.purpose} to ${caller.agency}`, { withheld });
      }
      throw new NoAgreement(`no agreement in force lets ${caller.agency} receive the fields program '${program.id}' reads for ${caller.purpose}`, { withheld });
    }
    note.disclosed([subject], used);
    // The program decided: its version (hash of its definition in the registry in force) goes in the entry.
    note.relied([], this.programVersion(program.id));

    const v = merged.values;
    const view: ClaimantView = {
      claimStatus: v.claimStatus ?? null,
      province: v.province ?? null,
      workPermitExpiry: v.workPermitExpiry ?? null,
      nocCode: v.nocCode ?? null,
      sector: v.sector ?? null,
      healthCareHours: v.healthCareHours ?? null,
      frenchLevel: v.frenchLevel ?? null,
      employment,
      withheld: new Set(merged.withheld.map((w) => w.field)),
    };
    const situations: Record<string, FieldSituation> = {};
    const agreements = this.registry.current().document.agreements;
    for (const f of fields) {
      const covering = (access.map as Record<string, { providers: readonly string[]; reason: string }>)[f];
      const withheld = merged.withheld.find((w) => w.field === f);
      situations[f] = {
        covering: covering?.providers ?? [],
        usedFrom: merged.provenance.find((p) => p.field === f)?.provider ?? (f === 'healthCareHours' && employment.length > 0 ? employment[0].provider : null),
        consentMissingFrom: withheld && isConsentReason(withheld.reason) ? [...new Set(seen.records.filter((r) => (r.values as Record<string, unknown>)[f] !== undefined && (covering?.providers ?? []).includes(r.provider)).map((r) => r.provider))].sort() : [],
        knownSuppliers: [...new Set(agreements.filter((a) => (a.fields as readonly string[]).includes(f)).map((a) => a.provider))].sort(),
        agreementReason: covering && covering.providers.length === 0 ? covering.reason : null,
      };
    }
    return { subject, evaluation: evaluateProgram(program, view, now, stream), merged, used, situations };
  }

  /**
   * The claimant's employment periods the caller may see: from providers whose agreement covers
   * healthCareHours, each (subject, healthCareHours, provider) decided like any field (consent read in SQL, decided in process).
   */
  private async employment(caller: VerifiedCaller, providers: readonly string[], subject: string, note: DisclosureNote): Promise<EmploymentPeriod[]> {
    if (providers.length === 0) return [];
    const periods = (await this.spots.periods([subject], providers)).get(subject) ?? [];
    if (periods.length === 0) return [];
    // Decided (consent standing read once) and noted as the basis on the one disclosure path.
    const suppliers = [...new Set(periods.map((p) => p.provider))];
    const verdictsOf = await this.disclosure.pairVerdicts(caller.agency, caller.purpose, ['healthCareHours'], suppliers.map((provider) => ({ subject, provider })), note);
    const allowed = new Set(suppliers.filter((provider) => verdictsOf(subject, provider)[0].permit));
    return periods.filter((p) => allowed.has(p.provider));
  }
}

/** The claimant field a condition reads. */
function programFieldOf(c: ProgramCondition): string {
  return CONDITION_FIELD[c.kind];
}

/** The what-if as given: names to remove, and conditions to set (JSON), checked for shape here and for sense by the registry rules. */
function parseRuleChange(raw: { remove?: string[] | null; set?: string | null } | null | undefined): RuleChange {
  if (!raw) throw new BadUserInput('change is required: conditions to remove and/or to set', { reason: 'RULE_CHANGE_INVALID' });
  const remove = raw.remove ?? [];
  if (!Array.isArray(remove) || remove.some((n) => typeof n !== 'string' || n.length > 64)) throw new BadUserInput('change.remove must be condition names', { reason: 'RULE_CHANGE_INVALID' });
  let set: ProgramCondition[] = [];
  if (raw.set !== null && raw.set !== undefined) {
    if (typeof raw.set !== 'string' || raw.set.length > MAX_RULE_CHANGE) throw new BadUserInput(`change.set must be a JSON array of conditions of at most ${MAX_RULE_CHANGE} characters`, { reason: 'RULE_CHANGE_INVALID' });
    try {
      set = JSON.parse(raw.set);
    } catch {
      throw new BadUserInput('change.set is not valid JSON', { reason: 'RULE_CHANGE_INVALID' });
    }
    if (!Array.isArray(set) || set.some((c) => typeof c !== 'object' || c === null || typeof c.name !== 'string')) throw new BadUserInput('change.set must be a JSON array of named conditions', { reason: 'RULE_CHANGE_INVALID' });
  }
  if (remove.length === 0 && set.length === 0) throw new BadUserInput('change changes nothing: name conditions to remove or to set', { reason: 'RULE_CHANGE_INVALID' });
  return { remove, set };
}

