/** An argument of a Redis command. */
export type RedisArgument = string | Buffer;

/** A pub/sub listener in buffer mode: message and channel as Buffers. */
export type BufferListener = (message: Buffer, channel: Buffer) => void;

/**
 * The client events the adapter listens to: "error" (with the Error), and
 * "reconnecting", which node-redis and ioredis both emit on each attempt to
 * reconnect (ioredis with the delay).
 */
export type ClientEvent = "error" | "reconnecting";

/**
 * What the adapter needs of a connected node-redis (6.x) client: a standalone
 * `createClient()` result satisfies it. Commands go through `sendCommand`, so
 * the adapter's commands are exactly the ones listed in the README.
 */
export interface RedisClientLike {
  sendCommand(args: ReadonlyArray<RedisArgument>, options?: { typeMapping?: Record<string | number, unknown> }): Promise<unknown>;
  on(event: ClientEvent, listener: (arg?: unknown) => void): unknown;
  off(event: ClientEvent, listener: (arg?: unknown) => void): unknown;
}

/** What the adapter needs of the subscriber client (`pub.duplicate()`, connected). */
export interface RedisSubscriberLike {
  subscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  unsubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  sSubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  sUnsubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  on(event: ClientEvent, listener: (arg?: unknown) => void): unknown;
  off(event: ClientEvent, listener: (arg?: unknown) => void): unknown;
}
