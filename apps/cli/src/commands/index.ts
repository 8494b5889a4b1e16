import type { Command } from 'commander';
import { registerVersion } from './version.command';
import { registerPublishMatches } from './publish-matches.command';
import { registerRegistryCheck } from './registry-check.command';
import { registerKeysGenerate } from './keys-generate.command';
import { registerRequest } from './request.command';
import { registerDemoInit } from './demo-init.command';
import { registerAuditVerify } from './audit-verify.command';
import { registerAuditEquivocation } from './audit-equivocation.command';
import { registerDemoSeed } from './demo-seed.command';
import { registerWitness } from './witness.command';
import { registerCerts } from './certs.command';
import { registerRegistryEdit } from './registry-edit.command';
import { registerKeysRotation } from './keys-rotation.command';

/** Every CLI command; add one line per new command file. */
export const commands: Array<(program: Command) => void> = [registerVersion, registerPublishMatches, registerRegistryCheck, registerKeysGenerate, registerRequest, registerDemoInit, registerAuditVerify, registerAuditEquivocation, registerDemoSeed, registerWitness, registerCerts, registerRegistryEdit, registerKeysRotation];
