import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@duplex/server";
import { createAdapter, type RedisAdapterOptions } from "@duplex/redis-adapter";
import { toRedisClients } from "../../src/clients";
import { RecoveryStore } from "../../src/recovery-store";

/** A Duplex node on 127.0.0.1 whose adapter runs on the pub/sub pair given (heartbeats every 200 ms unless `opts` says otherwise); `onCleanup` gets its closing. */
export async function startAdapterNode(
  [pub, sub]: [object, object],
  opts: RedisAdapterOptions & { key: string },
  onCleanup: (close: () => Promise<unknown>) => void,
): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { heartbeatInterval: 200, ...opts }) });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  onCleanup(() => new Promise((resolve) => io.close(() => resolve(undefined))));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** Until both nodes count each other (the initial heartbeat is answered at once). */
export async function bothSee(a: Server, b: Server): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await a.of("/").adapter.serverCount()) === 2 && (await b.of("/").adapter.serverCount()) === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the nodes never saw each other");
}

/**
 * The recovery store through a pub/sub pair: a session and the packets it
 * missed (binary among them) come back once. Resolves with what the two
 * restores gave, for the test to assert.
 */
export async function recoveryRoundTrip([pub, sub]: [object, object], key: string): Promise<[unknown, unknown]> {
  const store = new RecoveryStore(toRedisClients(pub, sub).pub, key, "/", Buffer.alloc(16, 1), 10_000);
  await store.append("o1", [], undefined, ["first", "o1"]);
  await store.persistSession({ sid: "s", pid: "p", rooms: ["s", "room"], data: { user: 1 } });
  await store.append("o2", ["room"], undefined, ["second", Buffer.from([7]), "o2"]);
  await store.append("o3", ["other"], undefined, ["not for it", "o3"]);
  const first = await store.restoreSession("p", "o1");
  // GETDEL: a session is restored once.
  const second = await store.restoreSession("p", "o1");
  return [first, second];
}
