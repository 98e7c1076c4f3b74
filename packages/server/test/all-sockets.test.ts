import { startServer, once, type ServerHarness } from "./helpers";

describe("allSockets() (deprecated in socket.io 4, kept for applications that use it)", () => {
  let h: ServerHarness;
  afterEach(() => h.close());

  it("Server, Namespace and broadcast operators resolve to a Set of socket ids", async () => {
    h = await startServer();
    h.io.on("connection", (socket) => {
      if (socket.handshake.auth.room) socket.join(String(socket.handshake.auth.room));
    });
    h.io.of("/chat");
    const a = h.client("/", { auth: { room: "lobby" } });
    const b = h.client("/");
    const chat = h.client("/chat");
    await Promise.all([once(a, "connect"), once(b, "connect"), once(chat, "connect")]);

    const all = await h.io.allSockets();
    expect(all).toBeInstanceOf(Set);
    expect(all).toEqual(new Set([a.id, b.id]));
    expect(await h.io.sockets.allSockets()).toEqual(new Set([a.id, b.id]));
    expect(await h.io.in("lobby").allSockets()).toEqual(new Set([a.id]));
    expect(await h.io.to("nowhere").allSockets()).toEqual(new Set());
    expect(await h.io.of("/chat").allSockets()).toEqual(new Set([chat.id]));
  });

  it("a parent namespace reports the sockets of its dynamic children", async () => {
    h = await startServer();
    const parent = h.io.of(/^\/room-\d+$/);
    const one = h.client("/room-1");
    const two = h.client("/room-2");
    await Promise.all([once(one, "connect"), once(two, "connect")]);
    expect(await parent.allSockets()).toEqual(new Set([one.id, two.id]));
    expect(await h.io.of("/room-1").allSockets()).toEqual(new Set([one.id]));
  });
});
