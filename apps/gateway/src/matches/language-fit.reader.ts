import { Inject, Injectable } from '@nestjs/common';
import { hasPostingLevelCondition, postingLanguageFields, postingLanguageFit, WITHHELD, type LanguageFitValue, type PostingLanguageRequirement, type PostingLanguages, type SeenLevel } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { DisclosureService, type DisclosureNote } from '../disclosure';
import { LevelsRepository, type LevelsRow } from '../relocation/offers.repository';
import type { MatchRow } from './matches.repository';

const LEVEL_FIELDS = ['frenchLevel', 'englishLevel'] as const;
type LevelField = (typeof LEVEL_FIELDS)[number];

export interface FitOf {
  fit: LanguageFitValue;
  /** the level fields the fit read and the caller may see (to be noted as disclosed when the match is shown) */
  read: LevelField[];
}

export const requirementOf = (r: Pick<MatchRow, 'languageRequirement' | 'minEnglishClb' | 'minFrenchNclc'>): PostingLanguageRequirement => ({
  languages: r.languageRequirement as PostingLanguages,
  minEnglishClb: r.minEnglishClb ?? null,
  minFrenchNclc: r.minFrenchNclc ?? null,
});

/**
 * languageFit of job matches (issue 16): a posting's minimum levels against the claimant's tested
 * levels the caller may see for JOB_MATCHING, each level field on its own (an agreement in force
 * from the agency that holds it, covering that field, and the claimant's consent). A level the
 * caller may not see is WITHHELD to the pure fit, which then never depends on it.
 */
@Injectable()
export class LanguageFitReader {
  constructor(
    private readonly levels: LevelsRepository,
    private readonly disclosure: DisclosureService,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async fits(consumer: string, rows: readonly MatchRow[], note: DisclosureNote): Promise<Map<string, FitOf>> {
    const out = new Map<string, FitOf>();
    const conditioned = rows.filter((r) => hasPostingLevelCondition(requirementOf(r)));
    for (const r of rows) if (!conditioned.includes(r)) out.set(r.id, { fit: 'MEETS', read: [] });
    if (conditioned.length === 0) return out;
    const subjects = [...new Set(conditioned.map((r) => r.subject))];
    const permitted = new Map<LevelField, (subject: string) => string[]>();
    for (const field of LEVEL_FIELDS) {
      const providers = this.providersToward(consumer, field);
      const verdicts = providers.length > 0 ? await this.disclosure.pairVerdicts(consumer, 'JOB_MATCHING', [field], subjects.flatMap((subject) => providers.map((provider) => ({ subject, provider }))), note) : null;
      permitted.set(field, (subject) => (verdicts ? providers.filter((p) => verdicts(subject, p)[0].permit) : []));
    }
    const allProviders = [...new Set(LEVEL_FIELDS.flatMap((f) => this.providersToward(consumer, f)))];
    const rowsOf = groupBy(await this.levels.of(subjects, allProviders), (l) => l.subject);
    for (const r of conditioned) {
      const req = requirementOf(r);
      const seen = (field: LevelField, pick: (l: LevelsRow) => number | null): SeenLevel => {
        const through = permitted.get(field)!(r.subject);
        if (through.length === 0) return WITHHELD;
        return newest((rowsOf.get(r.subject) ?? []).filter((l) => through.includes(l.provider)), pick);
      };
      const levels = { english: seen('englishLevel', (l) => l.english), french: seen('frenchLevel', (l) => l.french) };
      const read = postingLanguageFields(req).filter((f) => levels[f === 'frenchLevel' ? 'french' : 'english'] !== WITHHELD);
      out.set(r.id, { fit: postingLanguageFit(req, levels), read });
    }
    return out;
  }

  private providersToward(consumer: string, field: LevelField): string[] {
    const agreements = this.registry.current().agreementsFor({ consumer, purpose: 'JOB_MATCHING', at: new Date() });
    return [...new Set(agreements.filter((a) => (a.fields as readonly string[]).includes(field)).map((a) => a.provider))];
  }
}

function newest(rows: readonly LevelsRow[], pick: (r: LevelsRow) => number | null): number | null {
  return [...rows].filter((r) => pick(r) !== null).sort((a, b) => new Date(b.suppliedAt).getTime() - new Date(a.suppliedAt).getTime()).map(pick)[0] ?? null;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}
