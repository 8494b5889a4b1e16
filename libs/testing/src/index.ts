export * from './names';
export * from './database';
export * from './processes';
