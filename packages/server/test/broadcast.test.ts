import type { ManagerOptions, Socket as ClientSocket } from "socket.io-client";
import { Adapter, RemoteSocket, type BroadcastOptions, type Socket } from "@duplex/server";
import type { Packet } from "@duplex/protocol";
import { TRANSPORTS, connected, once, startServer, until, type ServerHarness } from "./helpers";

// Broadcasting from the server and from a socket: rooms, exceptions, flags,
// acks from many recipients, fetchSockets and the bulk operations, server-side
// emits with the in-memory adapter, and the immutability of operators.

jest.setTimeout(10000);

let h: ServerHarness;
let sockets: Socket[];
let clients: ClientSocket[];
/** What each client received, by client index: "event:arg". */
let got: string[][];

afterEach(() => h.close());

async function setup(n: number, transport: Partial<ManagerOptions> = {}): Promise<void> {
  h = await startServer();
  sockets = [];
  clients = [];
  got = [];
  for (let i = 0; i < n; i++) {
    const c = h.client("/", { ...transport, query: { n: String(i) } });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    const log: string[] = [];
    c.onAny((ev: string, ...args: unknown[]) => {
      if (ev !== "sync") log.push(`${ev}:${args.filter((a) => typeof a !== "function").join(",")}`);
    });
    sockets.push(socket);
    clients.push(c);
    got.push(log);
  }
}

/** Every client has received all that was sent before: each gets a last "sync" after it. */
async function sync(): Promise<void> {
  const all = Promise.all(clients.filter((c) => c.connected).map((c) => once(c, "sync")));
  for (const s of sockets) if (s.connected) s.emit("sync");
  await all;
}

describe.each(TRANSPORTS)("over %s", (_name, transport) => {
  beforeEach(async () => {
    await setup(3, transport);
    await sockets[0].join(["a", "ab"]);
    await sockets[1].join(["b", "ab"]);
  });

  test("io.emit reaches every socket once", async () => {
    h.io.emit("all", 1);
    await sync();
    expect(got).toEqual([["all:1"], ["all:1"], ["all:1"]]);
  });

  test("io.to / io.in / arrays / chained rooms reach the union, each socket once", async () => {
    h.io.to("a").emit("e", "to-a");
    h.io.in("b").emit("e", "in-b");
    h.io.to(["a", "b", "ab"]).emit("e", "array");
    h.io.to("a").to("ab").emit("e", "chained");
    h.io.to("nobody").emit("e", "none");
    await sync();
    expect(got).toEqual([["e:to-a", "e:array", "e:chained"], ["e:in-b", "e:array", "e:chained"], []]);
  });

  test("io.except and to().except() leave out the sockets of the excepted rooms", async () => {
    h.io.except("a").emit("e", "not-a");
    h.io.to("ab").except("b").emit("e", "ab-not-b");
    h.io.except(["a", "b"]).emit("e", "neither");
    h.io.except(sockets[2].id).to("ab").emit("e", "by-id");
    await sync();
    expect(got).toEqual([["e:ab-not-b", "e:by-id"], ["e:not-a", "e:by-id"], ["e:not-a", "e:neither"]]);
  });

  test("socket.broadcast, socket.to and socket.except leave out the sender", async () => {
    sockets[0].broadcast.emit("e", "bc");
    sockets[0].to("ab").emit("e", "to-ab");
    sockets[1].in("ab").emit("e", "in-ab");
    sockets[2].except("a").emit("e", "except-a");
    await sync();
    expect(got).toEqual([["e:in-ab"], ["e:bc", "e:to-ab", "e:except-a"], ["e:bc"]]);
  });

  test("local, compress and volatile broadcasts are delivered to writable clients", async () => {
    if (transport.transports?.length === 2) await until(() => sockets.every((s) => s.conn.transport.name === "websocket"));
    await until(() => sockets.every((s) => s.conn.transport.writable));
    h.io.volatile.emit("e", "volatile");
    await until(() => got.every((g) => g.length === 1));
    h.io.local.emit("e", "local");
    h.io.compress(false).emit("e", "compress");
    h.io.to("a").local.compress(true).emit("e", "all-flags");
    await sync();
    expect(got).toEqual([
      ["e:volatile", "e:local", "e:compress", "e:all-flags"],
      ["e:volatile", "e:local", "e:compress"],
      ["e:volatile", "e:local", "e:compress"],
    ]);
  });

  test("timeout(ms).emit collects one answer per recipient", async () => {
    clients.forEach((c, i) => c.on("q", (x: number, ack: (v: number) => void) => ack(x * 10 + i)));
    const [err, responses] = await new Promise<[Error | null, number[]]>((resolve) =>
      h.io.timeout(2000).emit("q", 1, (e: Error | null, r: number[]) => resolve([e, r])),
    );
    expect(err).toBeNull();
    expect([...responses].sort()).toEqual([10, 11, 12]);

    const inRoom = await h.io.to("ab").timeout(2000).emitWithAck("q", 2);
    expect([...inRoom].sort()).toEqual([20, 21]);
    const fromSocket = await sockets[0].broadcast.timeout(2000).emitWithAck("q", 3);
    expect([...fromSocket].sort()).toEqual([31, 32]);
  });

  test("a recipient that does not answer: err and the partial responses", async () => {
    clients[0].on("q", (ack: (v: string) => void) => ack("zero"));
    clients[1].on("q", () => undefined);
    clients[2].on("q", (ack: (v: string) => void) => ack("two"));
    const [err, responses] = await new Promise<[Error | null, string[]]>((resolve) =>
      h.io.timeout(50).emit("q", (e: Error | null, r: string[]) => resolve([e, r])),
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toBe("operation has timed out");
    expect([...responses].sort()).toEqual(["two", "zero"]);

    const rejected = await h.io.timeout(50).emitWithAck("q").catch((e: Error & { responses?: unknown[] }) => e);
    expect(rejected).toBeInstanceOf(Error);
    expect((rejected as Error).message).toBe("operation has timed out");
    expect([...((rejected as { responses?: string[] }).responses ?? [])].sort()).toEqual(["two", "zero"]);
  });
});

describe("acks from no one", () => {
  test("a broadcast with an ack to no socket answers at once with no responses", async () => {
    await setup(1);
    const [err, responses] = await new Promise<[Error | null, unknown[]]>((resolve) =>
      h.io.to("empty-room").timeout(5000).emit("q", (e: Error | null, r: unknown[]) => resolve([e, r])),
    );
    expect(err).toBeNull();
    expect(responses).toEqual([]);
    expect(await h.io.to("empty-room").timeout(5000).emitWithAck("q")).toEqual([]);
  });

  test("a recipient that disconnects while the broadcast waits ends it with a timeout and the others' answers", async () => {
    await setup(2);
    clients[0].on("q", (ack: (v: string) => void) => ack("zero"));
    clients[1].on("q", () => clients[1].disconnect());
    const result = await h.io
      .timeout(100)
      .emitWithAck("q")
      .catch((e: Error & { responses?: unknown[] }) => e);
    expect(result).toBeInstanceOf(Error);
    expect((result as { responses?: unknown[] }).responses).toEqual(["zero"]);
  });
});

describe("acks across server nodes", () => {
  /** An adapter that behaves as if a second node had one recipient, which answers a little later. */
  class TwoNodeAdapter extends Adapter {
    override serverCount(): Promise<number> {
      return Promise.resolve(2);
    }
    override broadcastWithAck(packet: Packet & { id: number }, opts: BroadcastOptions, clientCount: (n: number) => void, ack: (r: unknown) => void): void {
      super.broadcastWithAck(packet, opts, clientCount, ack);
      if (opts.flags?.local) return;
      setTimeout(() => {
        clientCount(1);
        setTimeout(() => ack("remote"), 20);
      }, 20);
    }
  }

  test("the broadcast waits for every node's count and every counted answer", async () => {
    h = await startServer({ adapter: TwoNodeAdapter });
    const c = h.client();
    await connected(c);
    c.on("q", (ack: (v: string) => void) => ack("local"));
    const responses = await h.io.timeout(2000).emitWithAck("q");
    expect([...responses].sort()).toEqual(["local", "remote"]);
    // a local broadcast does not wait for the other node
    expect(await h.io.local.timeout(2000).emitWithAck("q")).toEqual(["local"]);
  });
});

describe("fetchSockets and remote sockets", () => {
  beforeEach(async () => {
    await setup(3);
    sockets.forEach((s, i) => (s.data = { n: i }));
    await sockets[0].join("a");
    await sockets[1].join("a");
  });

  test("fetchSockets returns RemoteSockets with id, handshake, rooms, data", async () => {
    const all = await h.io.fetchSockets();
    expect(all).toHaveLength(3);
    expect(all.every((r) => r instanceof RemoteSocket)).toBe(true);
    const byId = new Map(all.map((r) => [r.id, r]));
    for (const [i, s] of sockets.entries()) {
      const r = byId.get(s.id)!;
      expect(r.data).toEqual({ n: i });
      expect(r.handshake.query.n).toBe(String(i));
      expect(r.handshake.address).toBe(s.handshake.address);
      expect(r.rooms).toEqual(s.rooms);
    }
    const inA = await h.io.in("a").fetchSockets();
    expect(inA.map((r) => r.id).sort()).toEqual([sockets[0].id, sockets[1].id].sort());
    const notA = await h.io.except("a").fetchSockets();
    expect(notA.map((r) => r.id)).toEqual([sockets[2].id]);
    expect(await h.io.to("nobody").fetchSockets()).toEqual([]);
    expect((await h.io.of("/other").fetchSockets()).length).toBe(0);
  });

  test("a RemoteSocket's rooms are a snapshot", async () => {
    const [r] = await h.io.in(sockets[2].id).fetchSockets();
    await sockets[2].join("later");
    expect(r.rooms.has("later")).toBe(false);
  });

  test("RemoteSocket emit, join, leave, timeout and disconnect act on the real socket", async () => {
    const [r] = await h.io.in(sockets[2].id).fetchSockets();
    r.emit("direct", "hi");
    await sync();
    expect(got).toEqual([[], [], ["direct:hi"]]);

    r.join(["x", "y"]);
    expect(sockets[2].rooms).toEqual(new Set([sockets[2].id, "x", "y"]));
    r.leave("x");
    expect(sockets[2].rooms).toEqual(new Set([sockets[2].id, "y"]));

    clients[2].on("q", (ack: (v: string) => void) => ack("answer"));
    const answers = await new Promise<[Error | null, unknown[]]>((resolve) =>
      r.timeout(2000).emit("q", (e: Error | null, res: unknown[]) => resolve([e, res])),
    );
    expect(answers).toEqual([null, ["answer"]]);

    const reason = once<[string]>(sockets[2], "disconnect");
    const clientReason = once<[string]>(clients[2], "disconnect");
    r.disconnect();
    expect(await reason).toEqual(["server namespace disconnect"]);
    expect(await clientReason).toEqual(["io server disconnect"]);
    expect(h.io.sockets.sockets.size).toBe(2);
  });

  test("socketsJoin and socketsLeave", async () => {
    h.io.in("a").socketsJoin(["j1", "j2"]);
    expect(h.io.sockets.adapter.rooms.get("j1")).toEqual(new Set([sockets[0].id, sockets[1].id]));
    h.io.except("a").socketsJoin("j3");
    expect(h.io.sockets.adapter.rooms.get("j3")).toEqual(new Set([sockets[2].id]));
    h.io.socketsJoin("everyone");
    expect(h.io.sockets.adapter.rooms.get("everyone")?.size).toBe(3);
    h.io.in("j1").socketsLeave(["j1", "everyone"]);
    expect(h.io.sockets.adapter.rooms.has("j1")).toBe(false);
    expect(h.io.sockets.adapter.rooms.get("everyone")).toEqual(new Set([sockets[2].id]));
    expect(h.io.sockets.adapter.rooms.get("j2")?.size).toBe(2);
  });

  test("disconnectSockets() leaves the namespace, disconnectSockets(true) closes the sessions", async () => {
    const reasons = Promise.all(sockets.map((s) => once<[string]>(s, "disconnect")));
    const clientReasons = Promise.all(clients.map((c) => once<[string]>(c, "disconnect")));
    h.io.in("a").disconnectSockets();
    h.io.except("a").disconnectSockets(true);
    // the server closes only the session of the socket disconnected with close
    // (socket.io-client then closes the other two itself: their only socket is gone)
    expect(sockets.map((s) => s.conn.readyState === "open")).toEqual([true, true, false]);
    expect((await reasons).map(([r]) => r)).toEqual(["server namespace disconnect", "server namespace disconnect", "server namespace disconnect"]);
    expect((await clientReasons).map(([r]) => r)).toEqual(["io server disconnect", "io server disconnect", "io server disconnect"]);
    expect(h.io.sockets.sockets.size).toBe(0);
    expect(h.io.sockets.adapter.rooms.size).toBe(0);
  });

});

describe("server-side emits with the in-memory adapter", () => {
  beforeEach(() => setup(0));

  test("serverSideEmit goes to other nodes only: no local listener runs", () => {
    const listener = jest.fn();
    h.io.on("hello", listener);
    expect(h.io.serverSideEmit("hello", 1)).toBe(true);
    expect(listener).not.toHaveBeenCalled();
  });

  test("with an ack, a single node gets no responses", async () => {
    const answer = await new Promise<[Error | null, unknown[]]>((resolve) =>
      h.io.serverSideEmit("ping", "x", (err: Error | null, responses: unknown[]) => resolve([err, responses])),
    );
    expect(answer).toEqual([null, []]);
    await expect(h.io.serverSideEmitWithAck("ping")).resolves.toEqual([]);
    await expect(h.io.of("/other").serverSideEmitWithAck("ping")).resolves.toEqual([]);
  });

  test("reserved namespace events cannot be server-side emitted", () => {
    for (const name of ["connect", "connection", "new_namespace"]) {
      expect(() => h.io.serverSideEmit(name)).toThrow("reserved event name");
    }
  });
});

describe("operators are immutable", () => {
  test("deriving an operator leaves the original as it was", async () => {
    await setup(3);
    await sockets[0].join("a");
    await sockets[1].join(["a", "b"]);
    const toA = h.io.to("a");
    toA.except("b");
    toA.to("c");
    toA.timeout(10);
    toA.emit("e", "to-a");
    const all = h.io.except("b");
    all.to("a");
    all.emit("e", "not-b");
    await sync();
    expect(got).toEqual([["e:to-a", "e:not-b"], ["e:to-a"], ["e:not-b"]]);
  });

  test("a socket's broadcast flag does not stick to later emits", async () => {
    await setup(2);
    sockets[0].broadcast.emit("e", "bc");
    sockets[0].emit("e", "direct");
    sockets[0].volatile.emit("e", "volatile");
    sockets[0].timeout(1000);
    sockets[0].emit("e", "plain");
    await sync();
    expect(got[0]).toEqual(expect.arrayContaining(["e:direct", "e:plain"]));
    expect(got[0]).not.toContain("e:bc");
    expect(got[1]).toEqual(["e:bc"]);
  });
});
