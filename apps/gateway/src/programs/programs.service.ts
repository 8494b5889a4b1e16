import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import {
  dayOf,
  evaluateProgram,
  isConsentReason,
  parsePrograms,
  periodOf,
  periodsOf,
  placesLeft,
  PROGRAM_ID,
  programFields,
  programStreams,
  protectOneWay,
  protectUptake,
  UPTAKE_DIMENSIONS,
  type ClaimantView,
  type Period,
  type ProgramDefinition,
  type ProgramEvaluation,
  type ResolvedStream,
  type UptakeDimension,
} from '@passerelle/policy';
import { programVersion, RegistryHolder } from '@passerelle/registry';
import type { MergedClaimant } from '../claimants/claimant-access';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import { BadUserInput, Conflict, ConsentRequired, NoAgreement, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { CLAIMANT_NOT_FOUND, DisclosureService, type DisclosureNote } from '../disclosure';
import type { Eligibility, EligibilityOutcomeEnum, ConditionResultEnum, ProgramApplication, ProgramUptake, ProgramWithdrawal, ApplicationStatusEnum } from './dto/program-types';
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
}

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
    };
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

  async uptake(programId: string, streamId?: string | null, periodId?: string | null, groupBy?: readonly string[] | null): Promise<ProgramUptake> {
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
    const { counters, cells } = await this.repository.uptake(program.id, stream.id, period ? { from: period.from, to: period.to } : null);
    const current = period ?? periodOf(stream, dayOf(new Date()));
    const left = current ? placesLeft(stream, current, counters) : 0;
    const byProvince = protectOneWay(
      [...cells.reduce((m, c) => m.set(c.province, (m.get(c.province) ?? 0) + c.admissions), new Map<string, number>())].filter(([, n]) => n > 0),
    );
    return {
      program: program.id,
      stream: stream.id,
      period: current?.id ?? null,
      cap: stream.cap,
      counted: counters.admitted,
      remaining: stream.cap === null ? null : Math.max(0, stream.cap - counters.admitted),
      placesLeft: left,
      applications: cells.reduce((n, c) => n + c.applications, 0),
      admissions: cells.reduce((n, c) => n + c.admissions, 0),
      waitlistLength: counters.waitlisted,
      byProvince: byProvince.map((c) => ({ province: c.key, count: c.suppressed ? null : c.count, suppressed: c.suppressed })),
      cells: protectUptake(cells, dims as UptakeDimension[]),
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
    const used = fields.filter((f) => (merged.values as Record<string, unknown>)[f] !== undefined);
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
      withheld: new Set(merged.withheld.map((w) => w.field)),
    };
    return { subject, evaluation: evaluateProgram(program, view, now, stream), merged, used };
  }
}
