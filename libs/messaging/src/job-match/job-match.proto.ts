/**
 * The generated protobuf code for job-match events (from proto/passerelle/jobbank/v1, also
 * exported as `jobbank` by @passerelle/contracts). Imported here by path because the contracts
 * index also loads @nestjs/microservices, an ES module that jest (CommonJS) cannot require:
 * this keeps the publisher/consumer helpers usable from unit and end-to-end tests.
 */
export { JobMatchEvent, Posting } from '../../../contracts/src/generated/passerelle/jobbank/v1/job_match';
export type { JobMatchEvent as JobMatchEventMessage, Posting as PostingMessage } from '../../../contracts/src/generated/passerelle/jobbank/v1/job_match';
