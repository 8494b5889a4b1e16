import { randomBytes } from 'node:crypto';

/** A name unique to this test run: for databases, topics, consumer groups, jtis. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
