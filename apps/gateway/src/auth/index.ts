export * from './requires.decorator';
export * from './caller.decorator';
export * from './requires.guard';
export * from './requirement';
export * from './request-of';
