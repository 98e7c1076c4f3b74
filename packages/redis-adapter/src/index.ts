/**
 * @duplex/redis-adapter: broadcasts, rooms, cluster requests and connection
 * state recovery across Duplex server processes, over Redis.
 */
export { RedisAdapter, createAdapter, type RedisAdapterOptions, type OutageStats } from "./adapter";
export { RedisUnavailableError, type OutageReport } from "./pubsub";
export { ForwardingError, type ForwardRequestsOptions } from "./forwarding";
export { RequestError } from "./requests";
export { RedisClientError, type RedisClientErrorCode } from "./clients";
export { ENVELOPE_VERSION } from "./envelope";
export type { RedisClientLike, RedisSubscriberLike, RedisArgument, BufferListener, ClientEvent } from "./redis";
export { setupPrimary, setupWorker, sidOf, type PrimaryOptions, type StickyServer } from "./cluster";
