import { Foundation1764000000000 } from './1764000000000-foundation';

/** Every migration, in order. Add new ones at the end (file name: <timestamp>-<what>.ts). */
export const migrations = [Foundation1764000000000];
