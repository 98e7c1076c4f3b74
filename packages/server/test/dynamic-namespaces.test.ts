import type { ParentNamespace } from "@duplex/server";
import { startServer, once, until, type ServerHarness } from "./helpers";

describe("dynamic namespaces", () => {
  let h: ServerHarness;
  afterEach(() => h.close());

  it("io.of(name) made by hand after io.of(regex) is a child of that parent: its middlewares and handlers run", async () => {
    h = await startServer();
    const parent = h.io.of(/^\/dynamic-\d+$/) as ParentNamespace;
    const seen: string[] = [];
    parent.use((socket, next) => {
      seen.push(`middleware ${socket.nsp.name}`);
      next();
    });
    parent.on("connection", (socket) => seen.push(`connection ${socket.nsp.name}`));
    const byHand = h.io.of("/dynamic-101", (socket) => seen.push(`of() handler ${socket.nsp.name}`));
    expect(parent.children.has(byHand)).toBe(true);
    expect(h.io.of("/dynamic-101")).toBe(byHand);
    expect(h.io.of("/other").constructor.name).toBe("Namespace");
    expect(parent.children.size).toBe(1);

    const client = h.client("/dynamic-101");
    await once(client, "connect");
    expect(seen).toEqual(["middleware /dynamic-101", "connection /dynamic-101", "of() handler /dynamic-101"]);
    expect(await parent.allSockets()).toEqual(new Set([client.id]));
  });

  it("with cleanupEmptyChildNamespaces, a child whose CONNECT the parent's middleware refused is removed", async () => {
    h = await startServer({ cleanupEmptyChildNamespaces: true });
    const parent = h.io.of(/^\/dynamic-\d+$/) as ParentNamespace;
    parent.use((socket, next) => (socket.handshake.auth.ok ? next() : next(new Error("refused"))));
    const created: string[] = [];
    h.io.on("new_namespace", (nsp) => created.push(nsp.name));

    for (const name of ["/dynamic-1", "/dynamic-2", "/dynamic-3"]) {
      const refused = h.client(name);
      const [err] = await once<[Error]>(refused, "connect_error");
      expect(err.message).toBe("refused");
    }
    expect(created).toEqual(["/dynamic-1", "/dynamic-2", "/dynamic-3"]);
    await until(() => parent.children.size === 0);
    expect(h.io.hasNamespace("/dynamic-1")).toBe(false);
    expect(h.io.hasNamespace("/dynamic-3")).toBe(false);

    // A refused CONNECT does not take away a child that still has a socket.
    const accepted = h.client("/dynamic-7", { auth: { ok: true } });
    await once(accepted, "connect");
    const refused = h.client("/dynamic-7");
    await once(refused, "connect_error");
    expect(h.io.hasNamespace("/dynamic-7")).toBe(true);
    expect(parent.children.size).toBe(1);
    accepted.disconnect();
    await until(() => !h.io.hasNamespace("/dynamic-7"));
    expect(parent.children.size).toBe(0);
  });

  it("a global or sticky RegExp is refused, as socket.io does", async () => {
    h = await startServer();
    expect(() => h.io.of(/^\/a-\d+$/g)).toThrow("stateful regular expressions are not supported");
    expect(() => h.io.of(/^\/a-\d+$/y)).toThrow("stateful regular expressions are not supported");
  });
});
