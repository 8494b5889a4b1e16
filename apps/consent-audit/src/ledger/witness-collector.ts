import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { appendSignatures, parseSignatureLine, verifierFromVkey, verifyCosignatures } from '@passerelle/checkpoint';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder, type Witness } from '@passerelle/registry';
import { formatAddCheckpointRequest } from '@passerelle/witness';
import { LedgerRepository, type StoredCheckpoint } from './ledger.repository';
import { LedgerService } from './ledger.service';

/** How long one witness may take to answer add-checkpoint before this round gives up on it. */
export const WITNESS_TIMEOUT_MS = 3000;
const POLL_MS = 500;

export type CosignOutcome = 'cosigned' | 'already' | 'refused' | 'unreachable';

/**
 * Collects cosignatures (docs/witness.md "Collection"): a job of its own, beside the ledger. After
 * each new checkpoint, the writer instance asks every witness the registry names to cosign it
 * (c2sp.org/tlog-witness add-checkpoint, with a consistency proof from the last size that witness
 * cosigned), each with a timeout, and stores the cosignature lines it gets back.
 *
 * Fail-open by design: no exchange ever waits for a witness. A witness that is down or slow only
 * leaves checkpoints without its cosignature; verifiers with a witness policy then refuse those
 * checkpoints (fail closed where it matters: at the verifier), and the next round catches up
 * from the witness's own latest size.
 */
@Injectable()
export class WitnessCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> | undefined;
  /** per witness: the checkpoint size last asked about (so a refusing witness is asked once per checkpoint) */
  private readonly asked = new Map<string, number>();
  private readonly metrics;

  constructor(
    private readonly ledger: LedgerService,
    private readonly repo: LedgerRepository,
    private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsRegistry,
  ) {
    this.metrics = {
      latency: new Histogram({ name: 'passerelle_witness_cosign_seconds', help: 'Time for a witness to answer add-checkpoint', labelNames: ['witness'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers: [metrics] }),
      outcomes: new Counter({ name: 'passerelle_witness_requests_total', help: 'add-checkpoint requests by witness and outcome', labelNames: ['witness', 'outcome'], registers: [metrics] }),
    };
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.collect(), POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round: the latest checkpoint to every witness not yet asked about it. Never throws. */
  collect(): Promise<unknown> {
    if (this.round) return this.round;
    this.round = (async () => {
      const witnesses = this.registry.current().document.witnesses ?? [];
      if (witnesses.length === 0 || !this.ledger.isWriter) return;
      const cp = await this.repo.latestCheckpoint();
      if (!cp) return;
      await Promise.all(witnesses.filter((w) => this.asked.get(w.name) !== cp.treeSize).map((w) => this.cosign(w, cp)));
      // Every witness has answered (or timed out) about this one: it is the checkpoint to serve.
      this.ledger.checkpointWitnessed(cp.treeSize);
    })()
      .catch((err) => this.logger.error({ err }, 'witness collection round failed'))
      .finally(() => (this.round = undefined));
    return this.round;
  }

  /** Asks one witness to cosign `cp`; on 409, once more from the size the witness says it holds. */
  async cosign(w: Witness, cp: StoredCheckpoint): Promise<CosignOutcome> {
    this.asked.set(w.name, cp.treeSize);
    const started = performance.now();
    let outcome: CosignOutcome;
    try {
      let old = (await this.repo.lastCosigned(w.name)) ?? 0;
      if (old >= cp.treeSize) return (outcome = 'already');
      let res = await this.addCheckpoint(w, cp, old);
      if (res.status === 409) {
        const theirs = Number((await res.text()).trim());
        if (Number.isSafeInteger(theirs) && theirs >= 0 && theirs !== old && theirs <= cp.treeSize) {
          old = theirs;
          res = theirs === cp.treeSize ? res : await this.addCheckpoint(w, cp, old);
        }
      }
      if (res.status !== 200) {
        this.logger.warn({ witness: w.name, treeSize: cp.treeSize, oldSize: old, status: res.status, reason: (await res.text().catch(() => '')).slice(0, 200) }, 'witness refused the checkpoint');
        return (outcome = 'refused');
      }
      const lines = (await res.text()).split('\n').filter((l) => l.length > 0);
      const verifier = verifierFromVkey(w.vkey);
      const mine = lines.find((l) => {
        const sig = parseSignatureLine(l);
        return sig.name === verifier.name && sig.keyHash === verifier.keyHash;
      });
      // Keep only a line that verifies with the key the registry gives this witness.
      if (!mine || verifyCosignatures(appendSignatures(cp.note, [mine]), [verifier]).length !== 1) {
        this.logger.warn({ witness: w.name, treeSize: cp.treeSize }, 'the witness answered without a valid cosignature of its registry key');
        return (outcome = 'refused');
      }
      await this.repo.insertCosignature(cp.treeSize, w.name, mine);
      this.metrics.latency.observe({ witness: w.name }, (performance.now() - started) / 1000);
      return (outcome = 'cosigned');
    } catch (err) {
      this.logger.warn({ witness: w.name, treeSize: cp.treeSize, err: (err as Error).message }, 'witness unreachable or too slow; the checkpoint stays without its cosignature');
      return (outcome = 'unreachable');
    } finally {
      this.metrics.outcomes.inc({ witness: w.name, outcome: outcome! ?? 'unreachable' });
    }
  }

  private async addCheckpoint(w: Witness, cp: StoredCheckpoint, oldSize: number): Promise<Response> {
    const proof = oldSize > 0 ? (await this.ledger.consistencyProof({ first: oldSize, second: cp.treeSize })).consistency.map((h) => Buffer.from(h, 'base64url')) : [];
    return fetch(`${w.url.replace(/\/$/, '')}/add-checkpoint`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: formatAddCheckpointRequest({ oldSize, proof, checkpoint: cp.note }),
      signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS),
    });
  }
}
