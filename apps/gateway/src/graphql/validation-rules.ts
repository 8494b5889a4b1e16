import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Extra validation rules for every GraphQL document, run after the specification's rules.
 * Pure functions of the document (no variables: the query cache keys on the text alone), so a
 * `first` given as a variable is costed at its maximum.
 */
export const GRAPHQL_LIMITS = {
  /** nesting of selections (mercurius `queryDepth`) */
  maxDepth: 8,
  /** estimated cost: 1 per field, times `first` for the selections under a paginated field */
  maxCost: 25_000,
  /** aliased fields per document */
  maxAliases: 20,
  /** the `first` assumed when it is a variable or absent on a paginated field */
  assumedPageSize: 500,
  /** parser token limit: submissions belong in variables, not in the query text */
  maxTokens: 20_000,
} as const;

/**
 * Root fields that cost far more than their selection: each `statistics` call merges and counts
 * the whole population under the caller's agreements (seconds on a million records), so it is
 * priced above half the limit: one per document, however it is aliased or spread in fragments.
 */
export const HEAVY_ROOT_FIELDS: Readonly<Record<string, { type: 'Query' | 'Mutation'; cost: number }>> = {
  statistics: { type: 'Query', cost: 15_000 },
};

const complex = (message: string, nodes?: readonly import('graphql').ASTNode[]) =>
  new GraphQLError(message, { nodes, extensions: { code: 'QUERY_TOO_COMPLEX' } });

/** At most one operation per document (operationName selection is no way around the limits). */
export const SingleOperationRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  Document(node) {
    const operations = node.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length > 1) {
      context.reportError(new GraphQLError(`send one operation per request; this document holds ${operations.length}`, { nodes: operations, extensions: { code: 'BAD_USER_INPUT' } }));
    }
  },
});

/** Introspection (__schema, __type) is refused outside development. __typename stays allowed. */
export const NoIntrospectionRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(new GraphQLError('introspection is disabled on this gateway; the schema is published as schema.graphql', { nodes: [node], extensions: { code: 'FORBIDDEN' } }));
    }
  },
});

/** Bounds the number of aliased fields, which otherwise multiply any per-field cost. */
export const MaxAliasesRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  let aliases = 0;
  let reported = false;
  return {
    Field(node) {
      if (node.alias && ++aliases > GRAPHQL_LIMITS.maxAliases && !reported) {
        reported = true;
        context.reportError(complex(`the query uses more than ${GRAPHQL_LIMITS.maxAliases} aliases`, [node]));
      }
    },
  };
};

function pageSizeOf(field: import('graphql').FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (!first) return 1;
  if (first.value.kind === Kind.INT) return Math.max(1, Math.min(Number(first.value.value), GRAPHQL_LIMITS.assumedPageSize * 20));
  return GRAPHQL_LIMITS.assumedPageSize;
}

/** Estimated cost of a selection set; fragments expanded, cycles cut (the spec rules report them). */
export function selectionCost(set: SelectionSetNode | undefined, fragments: ReadonlyMap<string, FragmentDefinitionNode>, visiting: Set<string> = new Set()): number {
  if (!set) return 0;
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) cost += 1 + pageSizeOf(s) * selectionCost(s.selectionSet, fragments, visiting);
    else if (s.kind === Kind.INLINE_FRAGMENT) cost += selectionCost(s.selectionSet, fragments, visiting);
    else {
      const name = s.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      cost += selectionCost(fragment.selectionSet, fragments, visiting);
      visiting.delete(name);
    }
    if (cost > Number.MAX_SAFE_INTEGER / 1e6) return cost; // already far beyond any limit
  }
  return cost;
}

/**
 * Refuses documents whose estimated cost exceeds GRAPHQL_LIMITS.maxCost: the selection cost plus
 * the price of every heavy root field (HEAVY_ROOT_FIELDS) in the document. Heavy fields are
 * counted where they appear, on the root type itself (schema-aware), so aliases and fragments do
 * not hide them; a fragment spread twice executes its fields once (field merging) and counts once.
 */
export const CostLimitRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const heavy = new Map<string, number>();
  let heavyCost = 0;
  return {
    Field(node) {
      const spec = HEAVY_ROOT_FIELDS[node.name.value];
      const parent = context.getParentType();
      if (!spec || !parent || parent.name !== spec.type) return;
      const root = spec.type === 'Query' ? context.getSchema().getQueryType() : context.getSchema().getMutationType();
      if (parent !== root) return;
      heavy.set(node.name.value, (heavy.get(node.name.value) ?? 0) + 1);
      heavyCost += spec.cost;
    },
    Document: {
      leave(node) {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const d of node.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
        for (const d of node.definitions) {
          if (d.kind !== Kind.OPERATION_DEFINITION) continue;
          const cost = selectionCost(d.selectionSet, fragments) + heavyCost;
          if (cost > GRAPHQL_LIMITS.maxCost) {
            const priced = [...heavy].map(([name, n]) => `${n} × ${name} at ${HEAVY_ROOT_FIELDS[name].cost} each`).join(', ');
            context.reportError(
              complex(
                `the query is too costly (estimated ${Math.round(cost)}, limit ${GRAPHQL_LIMITS.maxCost})${priced ? `: it holds ${priced}; send one statistics query per request` : ''}; ask for fewer fields or smaller pages`,
                [d],
              ),
            );
          }
        }
      },
    },
  };
};

export function gatewayValidationRules(introspection: boolean): ValidationRule[] {
  return [SingleOperationRule, MaxAliasesRule, CostLimitRule, ...(introspection ? [] : [NoIntrospectionRule])];
}
