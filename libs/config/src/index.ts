export * from './config';
export * from './grpc-tls';
