import { spawn, type ChildProcess } from 'node:child_process';

/** Runs a Node script to its end, with the given environment (replacing, not merging, when `replace`). */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not end within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a Node script and resolves once its output matches `ready` (rejects if it ends first). */
export function startScript(script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, cwd?: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let seen = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (!seen && ready.test(output)) {
        seen = true;
        resolve({ child, output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (!seen) reject(new Error(`${script} exited (${code}) before it was ready: ${output}`));
    });
  });
}
