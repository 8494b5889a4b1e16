'use strict';
/**
 * Whether dist/ is already the build of the sources on disk, so that `npm test`, `npm run
 * test:chaos` and `npm run bench` in one CI run (or one afternoon) build once, not three times.
 *
 * The stamp is a SHA-256 over every file the bundles and the console are built from (apps/, libs/,
 * proto/ and the root configuration, spec files excepted: no bundle imports them), the lock file
 * and the Node.js version, written to dist/.build-stamp after a full build. A file added, removed
 * or edited, a dependency changed, another Node.js, or a missing output: the stamp differs and
 * everything is built again.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SOURCE_DIRS = ['apps', 'libs', 'proto'];
const ROOT_FILES = ['package.json', 'package-lock.json', 'nest-cli.json', 'tsconfig.json', '.swcrc', 'buf.gen.yaml', 'scripts/build.js', 'scripts/build-stamp.js'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage']);
const STAMP = path.join('dist', '.build-stamp');

/** The build's outputs: any one missing means a build is due whatever the stamp says. */
function buildOutputs(apps) {
  return [...apps.map((app) => path.join('dist', 'apps', app, 'main.js')), path.join('dist', 'console', 'index.html')];
}

function sourceFiles(root, dir) {
  const out = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (e) {
      if (e.code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(child);
      } else if (entry.isFile() && !/\.spec\.tsx?$/.test(entry.name)) {
        out.push(child);
      }
    }
  };
  walk(dir);
  return out;
}

/** The digest of the build's inputs as they are on disk now, for this Node.js. */
function buildInputsDigest(root, nodeVersion = process.version) {
  const files = [...SOURCE_DIRS.flatMap((d) => sourceFiles(root, d)), ...ROOT_FILES.filter((f) => fs.existsSync(path.join(root, f)))].sort();
  const hash = crypto.createHash('sha256').update(`node ${nodeVersion}\0`);
  for (const file of files) {
    // the name and the length before the bytes: no two different trees give one stream
    const bytes = fs.readFileSync(path.join(root, file));
    hash.update(`${file.split(path.sep).join('/')}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex');
}

/** True when dist/ holds every output and was built from exactly these inputs. */
function buildIsCurrent(root, apps, digest = buildInputsDigest(root)) {
  if (!buildOutputs(apps).every((f) => fs.existsSync(path.join(root, f)))) return false;
  try {
    return fs.readFileSync(path.join(root, STAMP), 'utf8').trim() === digest;
  } catch {
    return false;
  }
}

function writeStamp(root, digest) {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, STAMP), `${digest}\n`);
}

function removeStamp(root) {
  fs.rmSync(path.join(root, STAMP), { force: true });
}

module.exports = { buildInputsDigest, buildIsCurrent, writeStamp, removeStamp, buildOutputs };
