import { decodeBase64Strict, parseDecimal } from '@passerelle/checkpoint';
import { MalformedRequestError } from './errors';

/** The body of `POST <prefix>/add-checkpoint` (c2sp.org/tlog-witness). */
export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  /** the signed checkpoint note, as submitted */
  checkpoint: string;
}

/** The client MUST NOT send more than 63 consistency proof lines. */
export const MAX_PROOF_LINES = 63;

export function formatAddCheckpointRequest(req: AddCheckpointRequest): string {
  if (req.proof.length > MAX_PROOF_LINES) throw new MalformedRequestError(`at most ${MAX_PROOF_LINES} proof lines, got ${req.proof.length}`);
  return `old ${req.oldSize}\n${req.proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${req.checkpoint}`;
}

/** Parses a request body: `old <N>\n`, up to 63 base64 hash lines, an empty line, the checkpoint. */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const nl = body.indexOf('\n', at);
    if (nl < 0) throw new MalformedRequestError('the request has no empty line before the checkpoint');
    const line = body.slice(at, nl);
    at = nl + 1;
    if (line === '') break;
    lines.push(line);
    if (lines.length > MAX_PROOF_LINES + 1) throw new MalformedRequestError(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  }
  const [oldLine, ...proofLines] = lines;
  if (!oldLine?.startsWith('old ')) throw new MalformedRequestError('the request must start with an "old <size>" line');
  let oldSize: number;
  try {
    oldSize = parseDecimal(oldLine.slice(4), 'the old size');
  } catch (e) {
    throw new MalformedRequestError((e as Error).message);
  }
  const proof = proofLines.map((l, i) => {
    let h: Buffer;
    try {
      h = decodeBase64Strict(l, `consistency proof line ${i + 1}`);
    } catch (e) {
      throw new MalformedRequestError((e as Error).message);
    }
    if (h.length !== 32) throw new MalformedRequestError(`consistency proof line ${i + 1} is ${h.length} bytes, not a 32-byte SHA-256 hash`);
    return h;
  });
  return { oldSize, proof, checkpoint: body.slice(at) };
}
