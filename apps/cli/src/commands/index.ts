import type { Command } from 'commander';
import { registerVersion } from './version.command';

/** Every CLI command; add one line per new command file. */
export const commands: Array<(program: Command) => void> = [registerVersion];
