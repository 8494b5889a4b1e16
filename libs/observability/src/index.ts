export * from './metrics';
export * from './health';
export * from './probe-server';
export * from './shutdown';
export * from './dependency-health.service';
export * from './tracing';
