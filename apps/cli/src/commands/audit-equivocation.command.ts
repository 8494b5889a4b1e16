import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { originOf, SIG_ED25519, verifierFromVkey } from '@passerelle/checkpoint';
import { verifyEvidence } from '@passerelle/witness';

/**
 * `passerelle audit equivocation A B --log-vkey K`: the auditor's check of a split view. Two
 * checkpoint notes (e.g. the two a witness kept, `passerelle witness evidence --json`) prove that
 * the log equivocated when its key signed both, for one origin and size, with different roots.
 * Offline: nothing but the two notes and the log's vkey. Exit 0 when proven, 5 when not.
 */
export function registerAuditEquivocation(program: Command) {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('verify the audit ledger');
  audit
    .command('equivocation')
    .description('print the proof that the log signed two different checkpoints of one size (a split view), from two signed notes')
    .argument('<noteA>', 'a checkpoint note file (e.g. the one a witness had cosigned)')
    .argument('<noteB>', 'another checkpoint note file (e.g. the one it refused)')
    .requiredOption('--log-vkey <vkey|file>', "the log's checkpoint note key (vkey type 0x01)")
    .action(async (a: string, b: string, opts: { logVkey: string }) => {
      const vkey = opts.logVkey.includes('+') ? opts.logVkey : (await fs.readFile(opts.logVkey, 'utf8')).trim();
      const log = verifierFromVkey(vkey);
      if (log.type !== SIG_ED25519) throw new Error('--log-vkey must be the log\'s Ed25519 note key (vkey type 0x01)');
      const [noteA, noteB] = await Promise.all([fs.readFile(a, 'utf8'), fs.readFile(b, 'utf8')]);
      const verdict = verifyEvidence({ kind: 'same-size-different-root', origin: originOf(noteA), cosignedNote: noteA, presentedNote: noteB, oldSize: 0, proof: [], observedAt: 0 }, [log]);
      if (!verdict.proven) {
        process.stderr.write(`passerelle: no proof of equivocation: ${verdict.reason}\n`);
        process.exitCode = 5;
        return;
      }
      process.stdout.write(
        [
          `EQUIVOCATION PROVEN: ${log.name} signed two checkpoints of size ${verdict.size} with different roots`,
          `root A: ${verdict.roots[0]}`,
          `root B: ${verdict.roots[1]}`,
          'Both notes verify with the log key; an honest log has one root per size. Anyone can re-check with these two notes and the vkey:',
          `log vkey: ${vkey}`,
          '--- A',
          noteA.trimEnd(),
          '--- B',
          noteB.trimEnd(),
          '',
        ].join('\n'),
      );
    });
}
