/**
 * Polls until `check` holds: tests wait on observed progress (a row, a log line, a count), never
 * on a fixed delay. Fails after `timeoutMs` (a hang, not slowness) with the state `describe` gives.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string | Promise<string>, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
