// Imported first by main.ts: the instrumentations must hook pg, gRPC, Kafka and HTTP before anything requires them.
// (A relative path, not @passerelle/observability, whose index would load kafkajs first.)
import { startTracing } from '../../../libs/observability/src/tracing';

startTracing('job-match-consumer');
