export * from './disclosure';
export * from './consent-standing';
export * from './purposes';
export * from './programs';
export * from './statistics';
export * from './disclosure-page';
export * from './relocation';
