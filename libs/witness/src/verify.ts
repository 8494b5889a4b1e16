import { openCheckpoint, originOf, verifierFromVkey, SIG_ED25519, type Checkpoint } from '@passerelle/checkpoint';
import { formatPolicy, PolicyError, satisfied, type WitnessPolicy } from './policy';

export interface CosignedCheckpointCheck {
  /** the log's note verifier key (type 0x01), obtained out of band (never from the log's answer) */
  logVkey: string;
  policy: WitnessPolicy;
  /** witness name (as the policy names it) → cosigner vkey (type 0x04) */
  witnessKeys: ReadonlyMap<string, string> | Record<string, string>;
}

export interface AcceptedCheckpoint {
  checkpoint: Checkpoint;
  /** witnesses whose valid cosignature the note carries */
  cosigned: string[];
}

/**
 * What a verifier does with a served checkpoint before it trusts anything about the log: the
 * log's signature (origin = the vkey's name), then the witness policy. Refuses with a PolicyError
 * that names the missing witnesses, or a NoteFormatError naming the broken signature rule.
 */
export function acceptCosignedCheckpoint(note: string, check: CosignedCheckpointCheck): AcceptedCheckpoint {
  const log = verifierFromVkey(check.logVkey);
  if (log.type !== SIG_ED25519) throw new PolicyError('the log key must be an Ed25519 note key (vkey type 0x01)');
  if (originOf(note) !== log.name) throw new PolicyError(`the checkpoint is for another log than ${log.name}`);
  const { checkpoint } = openCheckpoint(note, log.name, [log]);
  const r = satisfied(note, check.policy, check.witnessKeys);
  if (!r.satisfied) {
    throw new PolicyError(`the checkpoint of size ${checkpoint.size} lacks the cosignatures the witness policy "${formatPolicy(check.policy)}" requires; missing: ${r.missing.join(', ')}${r.cosigned.length ? ` (cosigned by: ${r.cosigned.join(', ')})` : ' (cosigned by none)'}`);
  }
  return { checkpoint, cosigned: r.cosigned };
}
