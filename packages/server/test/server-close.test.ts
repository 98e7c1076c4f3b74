import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioc } from "socket.io-client";
import { Server as SocketIoServer } from "socket.io";
import { Server } from "@duplex/server";
import { once } from "./helpers";

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve) => http.listen(0, "127.0.0.1", () => resolve((http.address() as AddressInfo).port)));
}

describe("io.close(cb)", () => {
  it("gives ERR_SERVER_NOT_RUNNING when the HTTP server is not listening, as socket.io does", async () => {
    const closeWith = (io: { close(fn: (err?: Error) => void): unknown }) =>
      new Promise<string | undefined>((resolve) => io.close((err) => resolve((err as NodeJS.ErrnoException | undefined)?.code)));
    const reference = await closeWith(new SocketIoServer(createServer()));
    expect(reference).toBe("ERR_SERVER_NOT_RUNNING");
    expect(await closeWith(new Server(createServer()))).toBe(reference);
    // not attached at all: nothing to close
    expect(await closeWith(new Server())).toBeUndefined();
  });

  it("gives no error when it closed a listening HTTP server", async () => {
    const http = createServer();
    const io = new Server(http);
    await listen(http);
    const err = await new Promise<Error | undefined>((resolve) => void io.close(resolve));
    expect(err).toBeUndefined();
    expect(http.listening).toBe(false);
  });
});

describe("the attached HTTP server closed and listening again", () => {
  it("ends the sessions, then serves new clients", async () => {
    const http = createServer();
    // closeTimeout: the closed sessions' close packets can never be polled.
    const io = new Server(http, { pingInterval: 300, pingTimeout: 2000, closeTimeout: 200 });
    io.on("connection", (socket) => socket.on("echo", (v: string, ack: (v: string) => void) => ack(v)));

    const first = ioc(`http://127.0.0.1:${await listen(http)}`, { forceNew: true, reconnection: false, transports: ["polling"] });
    await once(first, "connect");
    const gone = once<[string]>(first, "disconnect");
    const closed = new Promise((resolve) => http.close(resolve));
    http.closeAllConnections();
    await closed;
    await gone;
    expect(io.engine.clientsCount).toBe(0);

    const second = ioc(`http://127.0.0.1:${await listen(http)}`, { forceNew: true, reconnection: false });
    await once(second, "connect");
    await expect(second.timeout(5000).emitWithAck("echo", "again")).resolves.toBe("again");
    expect(io.engine.clientsCount).toBe(1);
    second.disconnect();
    http.closeAllConnections();
    await io.close();
  });
});
