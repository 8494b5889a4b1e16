import { NoteFormatError, parseNote, SIG_COSIGNATURE_V1, verifierFromVkey, type NoteVerifier } from '@passerelle/checkpoint';

/**
 * A verifier's witness policy: a witness name, or "<n> of {…}" over witnesses and nested groups
 * (Tessera's composable witness groups). "all of {…}" and "any of {…}" are shorthands.
 *
 *   policy := name | quorum "of" "{" policy ("," policy)* "}"
 *   quorum := positive integer | "all" | "any"
 */
export type WitnessPolicy = { witness: string } | { threshold: number; of: WitnessPolicy[] };

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

const TOKEN = /\s*(\{|\}|,|[^\s{},]+)/y;

export function parsePolicy(text: string): WitnessPolicy {
  const tokens: Array<{ t: string; at: number }> = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) tokens.push({ t: m[1], at: m.index + m[0].length - m[1].length });
  if (text.slice(TOKEN.lastIndex).trim() !== '' && tokens.length === 0) throw new PolicyError('the witness policy is empty');
  let i = 0;
  const peek = () => tokens[i];
  const expect = (t: string) => {
    const tok = tokens[i];
    if (tok?.t !== t) throw new PolicyError(`witness policy: expected "${t}" at offset ${tok?.at ?? text.length}`);
    i++;
  };
  const policy = (): WitnessPolicy => {
    const tok = peek();
    if (!tok) throw new PolicyError('witness policy: expected a witness name or "<n> of {…}" at the end');
    if (tok.t === '{' || tok.t === '}' || tok.t === ',') throw new PolicyError(`witness policy: unexpected "${tok.t}" at offset ${tok.at}`);
    if (tokens[i + 1]?.t !== 'of') {
      i++;
      return { witness: tok.t };
    }
    i += 2;
    expect('{');
    const members: WitnessPolicy[] = [policy()];
    while (peek()?.t === ',') {
      i++;
      members.push(policy());
    }
    expect('}');
    const threshold = tok.t === 'all' ? members.length : tok.t === 'any' ? 1 : /^[1-9][0-9]*$/.test(tok.t) ? Number(tok.t) : NaN;
    if (Number.isNaN(threshold)) throw new PolicyError(`witness policy: "${tok.t}" at offset ${tok.at} is not a quorum (a positive integer, "all" or "any")`);
    if (threshold > members.length) throw new PolicyError(`witness policy: a quorum of ${threshold} out of ${members.length} can never be met`);
    const names = members.filter((p): p is { witness: string } => 'witness' in p).map((p) => p.witness);
    const dup = names.find((n, j) => names.indexOf(n) !== j);
    if (dup) throw new PolicyError(`witness policy: ${dup} appears twice in one group`);
    return { threshold, of: members };
  };
  const result = policy();
  if (i < tokens.length) throw new PolicyError(`witness policy: unexpected "${tokens[i].t}" at offset ${tokens[i].at}`);
  return result;
}

export function formatPolicy(p: WitnessPolicy): string {
  return 'witness' in p ? p.witness : `${p.threshold} of {${p.of.map(formatPolicy).join(', ')}}`;
}

/** Every witness name a policy mentions. */
export function policyWitnesses(p: WitnessPolicy): string[] {
  return 'witness' in p ? [p.witness] : [...new Set(p.of.flatMap(policyWitnesses))];
}

export interface PolicyResult {
  satisfied: boolean;
  /** witnesses whose valid cosignature is on the checkpoint */
  cosigned: string[];
  /** witnesses of the unmet groups that did not cosign: any quorum of them would satisfy the policy */
  missing: string[];
}

/**
 * Checks that a signed checkpoint carries the cosignatures the policy requires. `witnessKeys`
 * maps each witness name to its cosigner vkey (type 0x04) or verifier. A line that names a known
 * witness key but does not verify refuses the whole note (signed-note), naming the witness.
 */
export function satisfied(checkpointNote: string | Uint8Array, policy: WitnessPolicy, witnessKeys: ReadonlyMap<string, string | NoteVerifier> | Record<string, string>): PolicyResult {
  const keys = witnessKeys instanceof Map ? witnessKeys : new Map(Object.entries(witnessKeys));
  const note = parseNote(checkpointNote);
  const cosigned = new Set<string>();
  for (const name of policyWitnesses(policy)) {
    const k = keys.get(name);
    if (k === undefined) throw new PolicyError(`the witness policy names ${name}, whose key is not configured`);
    const v = typeof k === 'string' ? verifierFromVkey(k) : k;
    if (v.type !== SIG_COSIGNATURE_V1) throw new PolicyError(`the key configured for ${name} is not a cosignature/v1 key (type 0x04)`);
    const line = note.signatures.find((s) => s.name === v.name && s.keyHash === v.keyHash);
    if (!line) continue;
    if (!v.verify(note.text, line.signature)) throw new NoteFormatError('invalid-signature', `the cosignature of witness ${name} does not verify`);
    cosigned.add(name);
  }
  const missing = new Set<string>();
  const walk = (p: WitnessPolicy): boolean => {
    if ('witness' in p) {
      if (cosigned.has(p.witness)) return true;
      missing.add(p.witness);
      return false;
    }
    const before = new Set(missing);
    const met = p.of.filter(walk).length >= p.threshold;
    // A met group needs nothing more: forget what its unmet members would have added.
    if (met) for (const n of [...missing]) if (!before.has(n)) missing.delete(n);
    return met;
  };
  const ok = walk(policy);
  return { satisfied: ok, cosigned: [...cosigned].sort(), missing: ok ? [] : [...missing].sort() };
}

/** Throws, naming the missing witnesses, unless the checkpoint satisfies the policy. */
export function requirePolicy(checkpointNote: string | Uint8Array, policy: WitnessPolicy, witnessKeys: ReadonlyMap<string, string | NoteVerifier> | Record<string, string>): string[] {
  const r = satisfied(checkpointNote, policy, witnessKeys);
  if (!r.satisfied) throw new PolicyError(`the checkpoint lacks the cosignatures the policy "${formatPolicy(policy)}" requires; missing: ${r.missing.join(', ')}`);
  return r.cosigned;
}
