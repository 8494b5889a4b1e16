import fs from 'node:fs';
import path from 'node:path';

/** Content types of what a Vite build emits; anything else is not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console's policy: everything from this origin only, no inline script or style, no
 * framing, no form posts elsewhere. The page talks to the gateway it came from and nothing else.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  /** hashed asset names are immutable; index.html is always revalidated */
  immutable: boolean;
}

/**
 * The built console, read once at start: only files present in the build are ever served,
 * looked up by exact relative path, so no request path reaches the file system.
 */
export class ConsoleFiles {
  private constructor(
    readonly root: string | undefined,
    private readonly files: ReadonlyMap<string, ConsoleFile>,
  ) {}

  static load(candidates: readonly string[]): ConsoleFiles {
    const root = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
    const files = new Map<string, ConsoleFile>();
    if (root) {
      for (const rel of walk(root, '')) {
        const type = CONTENT_TYPES[path.extname(rel).toLowerCase()];
        if (!type) continue;
        files.set(rel, { body: fs.readFileSync(path.join(root, rel)), contentType: type, immutable: rel.startsWith('assets/') });
      }
    }
    return new ConsoleFiles(root, files);
  }

  get built(): boolean {
    return this.files.has('index.html');
  }

  /** The file for a path below /console/ ('' and unknown extension-less paths give index.html). */
  lookup(rel: string): ConsoleFile | undefined {
    const clean = rel.replace(/^\/+/, '');
    if (clean === '' || clean === 'index.html') return this.files.get('index.html');
    return this.files.get(clean);
  }
}

function walk(root: string, rel: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...walk(root, child));
    else if (d.isFile()) out.push(child);
  }
  return out;
}

/** Where the build is: dist/console beside dist/apps/gateway/main.js, or from the working directory. */
export function consoleDirCandidates(): string[] {
  const main = process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd();
  return [path.resolve(main, '..', '..', 'console'), path.resolve(process.cwd(), 'dist', 'console')];
}
