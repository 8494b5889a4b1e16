'use strict';
/**
 * `npm run schema:print`: generates the gateway's GraphQL schema from the code-first resolvers
 * (every apps/gateway/src/**\/*.resolver.ts) exactly as GraphQLModule builds it at run time
 * (sorted), and writes it to apps/gateway/schema.graphql, which is committed so reviewers see
 * every change to the contract.
 *
 *   node scripts/print-schema.js            write the file
 *   node scripts/print-schema.js --check    exit 1 when the committed file differs (CI, unit test)
 *   node scripts/print-schema.js --stdout   print it
 *   --file PATH                             another file to write or check (tests)
 *
 * TypeScript is compiled on the fly with @swc/core using the repository's .swcrc.
 */
const fs = require('node:fs');
const path = require('node:path');
const { registerTypeScript } = require('./ts-require');

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'apps', 'gateway', 'src');
const DEFAULT_FILE = path.join(ROOT, 'apps', 'gateway', 'schema.graphql');
const HEADER = '# The Passerelle gateway GraphQL schema (contract v1).\n# Generated from the code-first resolvers by `npm run schema:print`; do not edit by hand.\n\n';

function resolverFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...resolverFiles(full));
    else if (entry.name.endsWith('.resolver.ts')) out.push(full);
  }
  return out.sort();
}

async function generateSchema() {
  registerTypeScript();
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const { GraphQLSchemaBuilderModule, GraphQLSchemaFactory, TypeMetadataStorage } = require('@nestjs/graphql');
  const { printSchema, lexicographicSortSchema } = require('graphql');
  const resolvers = [];
  for (const file of resolverFiles(SRC)) {
    for (const exported of Object.values(require(file))) {
      if (typeof exported === 'function' && Reflect.getMetadata('graphql:resolver_type', exported) !== undefined) resolvers.push(exported);
    }
  }
  void TypeMetadataStorage;
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    const schema = await app.get(GraphQLSchemaFactory).create(resolvers);
    return HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  } finally {
    await app.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const fileArg = args.indexOf('--file');
  const file = fileArg >= 0 ? path.resolve(args[fileArg + 1]) : DEFAULT_FILE;
  const text = await generateSchema();
  const shown = path.relative(ROOT, file);
  if (args.includes('--stdout')) process.stdout.write(text);
  else if (args.includes('--check')) {
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (committed !== text) {
      const a = committed.split('\n');
      const b = text.split('\n');
      let line = 0;
      while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
      console.error(`${shown} is out of date with the resolvers (first difference at line ${line + 1}): run \`npm run schema:print\` and commit the result`);
      process.exit(1);
    }
    console.log(`${shown} is up to date`);
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote ${shown}`);
  }
}

main().catch((e) => {
  console.error(`schema:print failed: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
