import { Inject, Injectable } from '@nestjs/common';
import { fromAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import {
  evaluateProgram,
  isConsentReason,
  parsePrograms,
  PROGRAM_ID,
  programFields,
  programOpenOn,
  protectOneWay,
  type ClaimantView,
  type ProgramDefinition,
  type ProgramEvaluation,
} from '@passerelle/policy';
import { programVersion, RegistryHolder } from '@passerelle/registry';
import type { MergedClaimant } from '../claimants/claimant-access';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import { BadUserInput, Conflict, ConsentRequired, NoAgreement, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { CLAIMANT_NOT_FOUND, DisclosureService, type DisclosureNote } from '../disclosure';
import type { Eligibility, EligibilityOutcomeEnum, ConditionResultEnum, ProgramApplication, ProgramUptake } from './dto/program-types';
import { ProgramsRepository } from './programs.repository';

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
export class ProgramsService {
  constructor(
    private readonly repository: ProgramsRepository,
    private readonly disclosure: DisclosureService,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async eligibility(note: DisclosureNote, caller: VerifiedCaller, programId: string, pseudonym: string): Promise<Eligibility> {
    const program = this.program(programId);
    const now = new Date();
    const seen = await this.see(note, caller, program, pseudonym, now);
    return {
      program: program.id,
      pseudonym,
      outcome: seen.evaluation.outcome as EligibilityOutcomeEnum,
      conditions: seen.evaluation.conditions.map((c) => ({ name: c.name, kind: c.kind, field: c.field, result: c.result as ConditionResultEnum, unknownReason: c.unknownReason ?? null })),
      evaluatedAt: now.toISOString(),
    };
  }

  async apply(note: DisclosureNote, caller: VerifiedCaller, programId: string, pseudonym: string): Promise<ProgramApplication> {
    const program = this.program(programId);
    const now = new Date();
    if (!programOpenOn(program, now)) {
      throw new BadUserInput(`program '${program.id}' takes applications from ${program.capPeriod!.from} to ${program.capPeriod!.to} only`, { reason: 'PROGRAM_CLOSED' });
    }
    const seen = await this.see(note, caller, program, pseudonym, now);
    if (seen.evaluation.outcome === 'NOT_ELIGIBLE') {
      const failed = seen.evaluation.conditions.filter((c) => c.result === 'NOT_MET').map((c) => c.name);
      throw new BadUserInput(`this claimant does not meet program '${program.id}': condition(s) not met: ${failed.join(', ')}`, { reason: 'NOT_ELIGIBLE', conditions: failed });
    }
    const result = await this.repository.apply({
      program: program.id,
      cap: program.cap,
      subject: seen.subject,
      province: seen.merged.values.province ?? null,
      appliedBy: caller.agency,
      requestJti: caller.jti,
    });
    if (result.status === 'ALREADY_APPLIED') {
      throw new Conflict(`this claimant already counts against program '${program.id}' (a claimant counts once per program)`, { reason: 'ALREADY_APPLIED' });
    }
    if (result.status === 'CAP_REACHED') {
      throw new Conflict(`program '${program.id}' has reached its cap of ${program.cap} places`, { reason: 'CAP_REACHED', cap: program.cap, counted: result.counted });
    }
    this.logger.info({ program: program.id, subject: seen.subject, agency: caller.agency, counted: result.counted }, 'program application counted');
    return {
      program: program.id,
      pseudonym,
      outcome: seen.evaluation.outcome as EligibilityOutcomeEnum,
      counted: result.counted,
      remaining: program.cap === null ? null : Math.max(0, program.cap - result.counted),
    };
  }

  async uptake(programId: string): Promise<ProgramUptake> {
    const program = this.program(programId);
    const { counted, byProvince } = await this.repository.uptake(program.id);
    const cells = protectOneWay(byProvince);
    return {
      program: program.id,
      cap: program.cap,
      counted,
      remaining: program.cap === null ? null : Math.max(0, program.cap - counted),
      byProvince: cells.map((c) => ({ province: c.key, count: c.suppressed ? null : c.count, suppressed: c.suppressed })),
    };
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
  private async see(note: DisclosureNote, caller: VerifiedCaller, program: ProgramDefinition, pseudonym: string, now: Date): Promise<Seen> {
    const access = this.disclosure.claimantAccess(caller, now);
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CLAIMANT_NOT_FOUND);
    const fields = programFields(program);
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
    return { subject, evaluation: evaluateProgram(program, view, now), merged, used };
  }
}
