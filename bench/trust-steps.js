#!/usr/bin/env node
/**
 * Where the full gateway's CPU goes per signed, consented, audited read: bench/trust.js --steps
 * (the gateway alone under the same load, profiled; µs per exchange by step of the trust path).
 */
'use strict';
process.argv.push('--steps');
require('./trust').run();
