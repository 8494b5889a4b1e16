'use strict';
/**
 * Lets a bench script require the TypeScript sources (libs/*, apps/*, test helpers) directly,
 * compiled by SWC on load, with the @passerelle/<lib> aliases resolved to libs/<lib>/src.
 * The same code the built apps run; nothing here is used by the apps themselves.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..');
let installed = false;

function installTs() {
  if (installed) return ROOT;
  installed = true;
  const swc = require('@swc/core');
  require.extensions['.ts'] = (module, filename) => {
    const out = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022', transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false } },
      module: { type: 'commonjs' },
    }).code;
    module._compile(out, filename);
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const m = /^@passerelle\/([a-z-]+)$/.exec(request);
    return resolve.call(this, m ? path.join(ROOT, 'libs', m[1], 'src', 'index.ts') : request, ...rest);
  };
  return ROOT;
}

module.exports = { installTs, ROOT };
