/** An argument of a Redis command. */
export type RedisArgument = string | Buffer;

/** A pub/sub listener in buffer mode: message and channel as Buffers. */
export type BufferListener = (message: Buffer, channel: Buffer) => void;

/**
 * What the adapter needs of a connected node-redis (6.x) client: a standalone
 * `createClient()` result satisfies it. Commands go through `sendCommand`, so
 * the adapter's commands are exactly the ones listed in the README.
 */
export interface RedisClientLike {
  sendCommand(args: ReadonlyArray<RedisArgument>, options?: { typeMapping?: Record<string | number, unknown> }): Promise<unknown>;
  on(event: "error", listener: (err: Error) => void): unknown;
  off(event: "error", listener: (err: Error) => void): unknown;
}

/** What the adapter needs of the subscriber client (`pub.duplicate()`, connected). */
export interface RedisSubscriberLike {
  subscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  unsubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  sSubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  sUnsubscribe(channels: string[], listener: BufferListener, bufferMode: true): Promise<void>;
  on(event: "error", listener: (err: Error) => void): unknown;
  off(event: "error", listener: (err: Error) => void): unknown;
}
