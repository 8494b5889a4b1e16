export const PROGRAMS_TOPIC = Symbol('PROGRAMS_TOPIC');

/** The topic of program events (issue 17). */
export const DEFAULT_PROGRAMS_TOPIC = 'passerelle.programs.v1';
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * PASSERELLE_PROGRAMS_TOPIC (default passerelle.programs.v1; tests give each run its own). Throws a
 * one-line error naming the variable when it is not a Kafka topic name.
 */
export function programsTopicFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.PASSERELLE_PROGRAMS_TOPIC;
  if (raw === undefined || raw === '') return DEFAULT_PROGRAMS_TOPIC;
  if (!TOPIC_NAME.test(raw) || raw === '.' || raw === '..') {
    throw new Error('PASSERELLE_PROGRAMS_TOPIC is malformed: must be a Kafka topic name (1–249 of A-Z a-z 0-9 . _ -)');
  }
  return raw;
}
