import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Presets, SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import type { JWK } from 'jose';
import { buildJobMatchBatchMessages, buildJobMatchMessage, createKafka, createReliableProducer, parseJobMatchNdjson, signerFromPrivateJwk, TOPICS, type OutgoingMessage } from '@passerelle/messaging';

export interface PublishMatchesOptions {
  file: string;
  agency: string;
  key: string;
  brokers?: string;
  topic: string;
  batchSize: number;
  perEventSignatures?: boolean;
}

export interface PublishSummary {
  published: number;
  batches: number;
  seconds: number;
  topic: string;
}

const HOST_PORT = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}

function brokerList(option: string | undefined): string[] {
  const raw = option ?? process.env.KAFKA_BROKERS;
  if (!raw) throw new Error('no Kafka brokers: pass --brokers host:port[,host:port...] or set KAFKA_BROKERS');
  const brokers = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = brokers.filter((b) => !HOST_PORT.test(b));
  if (brokers.length === 0 || bad.length > 0) throw new Error(`--brokers / KAFKA_BROKERS must be host:port[,host:port...]; not ${bad.join(', ') || 'empty'}`);
  return brokers;
}

async function readPrivateJwk(file: string): Promise<JWK> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as JWK;
  } catch {
    throw new Error(`the key file ${file} is not JSON (expected a private JWK as written by \`passerelle keys generate\`)`);
  }
}

/**
 * The batch job of docs/contract.md §6: validates the whole file first (publishing nothing when any
 * line is bad), then signs and publishes every event with an idempotent producer, batch by batch.
 * By default each producer batch is signed once (§6.1: one JWS over the Merkle root of its events,
 * split where the events' batchId changes); `--per-event-signatures` signs each event alone (§6).
 */
export async function publishMatches(opts: PublishMatchesOptions, out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<PublishSummary> {
  const brokers = brokerList(opts.brokers);
  let text: string;
  try {
    text = await fs.readFile(opts.file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { events, problems } = parseJobMatchNdjson(text);
  if (problems.length > 0) {
    for (const p of problems) out.stderr.write(p.line > 0 ? `line ${p.line}: ${p.problem}\n` : `${p.problem}\n`);
    const lines = new Set(problems.map((p) => p.line)).size;
    throw new Error(`${opts.file}: ${lines} bad line${lines === 1 ? '' : 's'}; nothing was published`);
  }
  let signer;
  try {
    signer = await signerFromPrivateJwk(opts.agency, await readPrivateJwk(opts.key));
  } catch (e) {
    throw new Error(`${opts.key}: ${(e as Error).message}`);
  }

  const started = performance.now();
  const kafka = createKafka(brokers, `passerelle-publish-matches-${opts.agency}`);
  // Idempotent producer: broker-side dedup of retried sends; with acks -1 and one request in
  // flight, a batch is either fully in the log once or reported as failed. Republishing the
  // whole file is safe too: the consumer stores each event id once.
  const producer = createReliableProducer(kafka);
  const bar = new SingleBar({ stream: out.stderr, format: 'publishing |{bar}| {value}/{total} events | {eta_formatted} left', hideCursor: true }, Presets.shades_classic);
  let published = 0;
  let batches = 0;
  await producer.connect();
  try {
    bar.start(events.length, 0);
    for (let i = 0; i < events.length; i += opts.batchSize) {
      const chunk = events.slice(i, i + opts.batchSize);
      const messages: OutgoingMessage[] = opts.perEventSignatures
        ? await Promise.all(chunk.map(({ event }) => buildJobMatchMessage(event, signer)))
        : await buildJobMatchBatchMessages(
            chunk.map(({ event }) => event),
            signer,
          );
      await producer.send({ topic: opts.topic, acks: -1, messages });
      published += messages.length;
      batches += 1;
      bar.update(published);
    }
  } finally {
    bar.stop();
    await producer.disconnect();
  }
  const summary = { published, batches, seconds: Math.round((performance.now() - started) / 10) / 100, topic: opts.topic };
  out.stdout.write(`published ${summary.published} events in ${summary.batches} batches to ${summary.topic} in ${summary.seconds} s\n`);
  return summary;
}

export function registerPublishMatches(program: Command) {
  program
    .command('publish-matches')
    .description('validate a job-match NDJSON file, then sign and publish every event to Kafka (docs/contract.md §6)')
    .requiredOption('--file <file.ndjson>', 'one JobMatchEvent per line, proto3 JSON field names (eventId, batchId, pseudonym, posting{...}, score, matchedAt)')
    .requiredOption('--agency <id>', 'the publishing agency (a PUBLISHER in the registry)')
    .requiredOption('--key <file>', "the agency's private JWK file, as written by `passerelle keys generate`")
    .option('--brokers <host:port,...>', 'Kafka bootstrap brokers (default: KAFKA_BROKERS)')
    .option('--topic <topic>', 'topic to publish to', TOPICS.jobMatches)
    .option('--batch-size <n>', 'events per producer request (and per batch signature)', parseBatchSize, 500)
    .option('--per-event-signatures', 'sign every event with its own x-signature (§6) instead of one batch signature per producer request (§6.1)', false)
    .action(async (opts: PublishMatchesOptions) => {
      await publishMatches(opts, { stdout: process.stdout, stderr: process.stderr });
    });
}
