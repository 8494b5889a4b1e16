#!/usr/bin/env node
'use strict';
/** BENCH ONLY: runs the trust-off gateway (trust-off-gateway.ts) from the TypeScript sources. */
const { installTs } = require('../lib/ts');

installTs();
require('./trust-off-gateway.ts');
