export * from './exchange-context';
export * from './tokens';
export * from './audit-sink';
export * from './signature-claims';
export * from './agency-signature.verifier';
export * from './exchange.module';
