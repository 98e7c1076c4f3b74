import type { BufferListener, RedisArgument, RedisClientLike, RedisSubscriberLike } from "./redis";

export type RedisClientErrorCode = "UNSUPPORTED_REDIS_CLIENT" | "REDIS_CLIENT_NOT_CONNECTED" | "SAME_REDIS_CLIENT" | "SHARDED_SUBSCRIBERS_REQUIRED";

/**
 * `createAdapter` refused its Redis clients. `code` is stable:
 * `UNSUPPORTED_REDIS_CLIENT` (neither node-redis nor ioredis),
 * `REDIS_CLIENT_NOT_CONNECTED` (never connected, or closed),
 * `SAME_REDIS_CLIENT` (one connection given as both: a subscriber cannot publish),
 * `SHARDED_SUBSCRIBERS_REQUIRED` (`sharded: true` with an ioredis Cluster
 * created without `shardedSubscribers: true`, which never sends SSUBSCRIBE
 * to the shards: the nodes would not hear each other).
 */
export class RedisClientError extends Error {
  override name = "RedisClientError";
  constructor(
    readonly code: RedisClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Listener = (err: Error) => void;

/** The part of ioredis (Redis or Cluster, 5 or 6) the adapter uses. */
interface IoRedisLike {
  status: string;
  isCluster?: boolean;
  options?: { shardedSubscribers?: boolean };
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  callBuffer(command: string, ...args: RedisArgument[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

/** The part of a node-redis cluster (createCluster) that differs: commands name the key that picks the node. */
interface NodeRedisClusterLike extends RedisSubscriberLike {
  isOpen: boolean;
  masters: unknown;
  sendCommand(firstKey: RedisArgument | undefined, isReadonly: boolean, args: ReadonlyArray<RedisArgument>, options?: object): Promise<unknown>;
}

/** node-redis 4 takes `{ returnBuffers: true }` where 5 and later take a `typeMapping`. */
interface NodeRedis4Like extends RedisSubscriberLike {
  sendCommand(args: ReadonlyArray<RedisArgument>, options?: { returnBuffers?: boolean }): Promise<unknown>;
}

type Kind = "node-redis" | "node-redis 4" | "node-redis cluster" | "node-redis 4 cluster" | "ioredis";

function kindOf(client: unknown): Kind | undefined {
  if (typeof client !== "object" || client === null) return undefined;
  const c = client as Record<string, unknown>;
  if (typeof c.callBuffer === "function" && typeof c.status === "string") return "ioredis";
  if (typeof c.sendCommand !== "function" || typeof c.isOpen !== "boolean") return undefined;
  // withTypeMapping came with node-redis 5, and with it the typeMapping command option.
  const version4 = typeof c.withTypeMapping !== "function";
  if ("masters" in c) return version4 ? "node-redis 4 cluster" : "node-redis cluster";
  return version4 ? "node-redis 4" : "node-redis";
}

function isOpen(client: object, kind: Kind): boolean {
  // ioredis: "wait" is a lazyConnect client never connected, "end" one closed for good.
  if (kind === "ioredis") return !["wait", "end"].includes((client as IoRedisLike).status);
  return (client as { isOpen: boolean }).isOpen;
}

/** The key that places a command in a cluster: the channel of a publish, the first key of a script, else the first argument. */
function firstKey(args: ReadonlyArray<RedisArgument>): RedisArgument | undefined {
  return String(args[0]).toUpperCase() === "EVAL" ? args[3] : args[1];
}

function ioredisPublisher(client: IoRedisLike): RedisClientLike {
  return {
    // A typeMapping asks for Buffers (recovery-store.ts): ioredis's *Buffer variant answers with them.
    sendCommand: ([command, ...args], options) =>
      options?.typeMapping ? client.callBuffer(String(command), ...args) : client.call(String(command), ...args),
    on: (event, listener) => client.on(event, listener as Listener),
    off: (event, listener) => client.off(event, listener as Listener),
  };
}

/** ioredis delivers every channel's messages through one event: dispatch them by channel. */
function ioredisSubscriber(client: IoRedisLike): RedisSubscriberLike {
  const byChannel = new Map<string, Set<BufferListener>>();
  const deliver = (channel: Buffer, message: Buffer) => {
    for (const listener of byChannel.get(channel.toString()) ?? []) listener(message, channel);
  };
  client.on("messageBuffer", deliver);
  client.on("smessageBuffer", deliver);
  const add = (channels: string[], listener: BufferListener) => {
    for (const channel of channels) {
      const set = byChannel.get(channel) ?? new Set();
      set.add(listener);
      byChannel.set(channel, set);
    }
  };
  const remove = (channels: string[], listener: BufferListener) => {
    for (const channel of channels) {
      const set = byChannel.get(channel);
      set?.delete(listener);
      if (set?.size === 0) byChannel.delete(channel);
    }
  };
  return {
    subscribe: async (channels, listener) => {
      add(channels, listener);
      await client.subscribe(...channels);
    },
    unsubscribe: async (channels, listener) => {
      remove(channels, listener);
      await client.unsubscribe(...channels);
    },
    sSubscribe: async (channels, listener) => {
      add(channels, listener);
      await client.ssubscribe(...channels);
    },
    sUnsubscribe: async (channels, listener) => {
      remove(channels, listener);
      await client.sunsubscribe(...channels);
    },
    on: (event, listener) => client.on(event, listener as Listener),
    off: (event, listener) => client.off(event, listener as Listener),
  };
}

type CommandOptions = Parameters<RedisClientLike["sendCommand"]>[1];

/** The adapter asks for Buffer replies with a typeMapping (recovery-store.ts); node-redis 4 with returnBuffers. */
function asReturnBuffers(options: CommandOptions): { returnBuffers: true } | undefined {
  return options?.typeMapping ? { returnBuffers: true } : undefined;
}

function nodeRedis4Publisher(client: NodeRedis4Like): RedisClientLike {
  return {
    sendCommand: (args, options) => client.sendCommand(args, asReturnBuffers(options)),
    on: (event, listener) => client.on(event, listener),
    off: (event, listener) => client.off(event, listener),
  };
}

function clusterPublisher(cluster: NodeRedisClusterLike, version4: boolean): RedisClientLike {
  return {
    sendCommand: (args, options) => cluster.sendCommand(firstKey(args), false, args, version4 ? asReturnBuffers(options) : options),
    on: (event, listener) => cluster.on(event, listener),
    off: (event, listener) => cluster.off(event, listener),
  };
}

/**
 * Checks the two clients `createAdapter` was given and puts them in the
 * shape the adapter speaks (node-redis 5's): node-redis 5 or later
 * (`createClient`, `createCluster`) as they are, node-redis 4 and ioredis
 * (`Redis`, `Cluster`) wrapped. Both must be connected (or connecting), and
 * be two connections: `sub` is put in subscriber mode, sharded or not.
 */
export function toRedisClients(pub: unknown, sub: unknown, sharded = false): { pub: RedisClientLike; sub: RedisSubscriberLike } {
  const kinds: Kind[] = [];
  for (const [role, client] of [["pub", pub], ["sub", sub]] as const) {
    const kind = kindOf(client);
    if (kind === undefined) {
      throw new RedisClientError(
        "UNSUPPORTED_REDIS_CLIENT",
        `createAdapter(pub, sub): ${role} is not a node-redis client (createClient, createCluster) or an ioredis client (new Redis(), new Cluster()); got ${describe(client)}`,
      );
    }
    if (!isOpen(client as object, kind)) {
      throw new RedisClientError(
        "REDIS_CLIENT_NOT_CONNECTED",
        `createAdapter(pub, sub): the ${kind} client given as ${role} is not connected; ` +
          (kind === "ioredis" ? "call connect() (lazyConnect) or pass an open client" : "await client.connect() first"),
      );
    }
    kinds.push(kind);
  }
  if (pub === sub) {
    throw new RedisClientError("SAME_REDIS_CLIENT", "createAdapter(pub, sub): pub and sub must be two connections (sub = pub.duplicate()): a subscribed connection cannot publish");
  }
  const ioredisSub = sub as IoRedisLike;
  if (sharded && kinds[1] === "ioredis" && ioredisSub.isCluster === true && ioredisSub.options?.shardedSubscribers !== true) {
    throw new RedisClientError(
      "SHARDED_SUBSCRIBERS_REQUIRED",
      "createAdapter(pub, sub, { sharded: true }): create the ioredis Cluster with { shardedSubscribers: true }; without it ioredis does not send SSUBSCRIBE to each shard and the nodes never hear each other",
    );
  }
  return { pub: publisher(pub, kinds[0]), sub: kinds[1] === "ioredis" ? ioredisSubscriber(sub as IoRedisLike) : (sub as RedisSubscriberLike) };
}

/** The publishing client in node-redis 5's shape. */
function publisher(client: unknown, kind: Kind): RedisClientLike {
  switch (kind) {
    case "ioredis":
      return ioredisPublisher(client as IoRedisLike);
    case "node-redis 4":
      return nodeRedis4Publisher(client as NodeRedis4Like);
    case "node-redis cluster":
    case "node-redis 4 cluster":
      return clusterPublisher(client as NodeRedisClusterLike, kind === "node-redis 4 cluster");
    case "node-redis":
      return client as RedisClientLike;
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value);
  return value.constructor?.name ? `a ${value.constructor.name}` : "an object";
}
