'use strict';
/**
 * Lets a script require the TypeScript sources with the project's own SWC settings (.swcrc) and
 * the @passerelle/<lib> aliases resolved to libs/<lib>/src. Installed once per process; not needed
 * under jest, which has its own transform.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.join(__dirname, '..');

function registerTypeScript() {
  if (require.extensions['.ts']) return;
  const swc = require('@swc/core');
  const swcrc = JSON.parse(fs.readFileSync(path.join(ROOT, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  swcrc.jsc.baseUrl = ROOT;
  swcrc.sourceMaps = false;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const alias = /^@passerelle\/([a-z-]+)$/.exec(request);
    return resolve.call(this, alias ? path.join(ROOT, 'libs', alias[1], 'src') : request, ...rest);
  };
  require.extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { ...swcrc, filename, swcrc: false, configFile: false });
    module._compile(code, filename);
  };
}

module.exports = { registerTypeScript };
