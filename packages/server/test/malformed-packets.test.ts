import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as SocketIoServer } from "socket.io";
import { Server } from "@duplex/server";

// A client joined to "/" and "/b" sends one bad packet over polling; the same
// bytes go to socket.io 4.8.4 and to Duplex, and what each server's sockets
// see is compared: the "error" events and the disconnect reasons. No ping
// falls within a test (pingInterval 20 s), so the next poll holds the close.

interface Outcome {
  errors: string[];
  reasons: string[];
  nextPoll: string;
}

async function send(io: Server | SocketIoServer, port: number, payload: string): Promise<Outcome> {
  const outcome: Outcome = { errors: [], reasons: [], nextPoll: "" };
  for (const nsp of ["/", "/b"]) {
    (io as Server).of(nsp).on("connection", (socket) => {
      socket.on("error", () => outcome.errors.push(nsp));
      socket.on("disconnect", (reason) => outcome.reasons.push(`${nsp} ${reason}`));
    });
  }
  const base = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
  const sid = JSON.parse((await (await fetch(base)).text()).slice(1)).sid as string;
  const session = `${base}&sid=${sid}`;
  await (await fetch(session, { method: "POST", body: "40\u001e40/b," })).text();
  await (await fetch(session)).text(); // the two CONNECT answers
  await (await fetch(session, { method: "POST", body: payload })).text();
  outcome.nextPoll = await (await fetch(session)).text();
  return outcome;
}

async function onSocketIo(payload: string): Promise<Outcome> {
  const http = createServer();
  const io = new SocketIoServer(http, { pingInterval: 20000, pingTimeout: 10000 });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  try {
    return await send(io, (http.address() as AddressInfo).port, payload);
  } finally {
    http.closeAllConnections();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  }
}

async function onDuplex(payload: string): Promise<Outcome> {
  const http = createServer();
  const io = new Server(http, { pingInterval: 20000, pingTimeout: 10000 });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  try {
    return await send(io, (http.address() as AddressInfo).port, payload);
  } finally {
    http.closeAllConnections();
    await io.close();
  }
}

describe("a malformed packet from the client, side by side with socket.io 4.8.4", () => {
  it.each([
    ["broken JSON", '42["a"'],
    ["an unknown packet type", "4garbage"],
    ["an empty event", "42[]"],
    ["a reserved event name", '42["disconnect"]'],
    ["a CONNECT whose auth is a string", '40/c,"token"'],
  ])("%s: every socket of the client gets \"error\", then \"forced close\"", async (_what, payload) => {
    const [reference, duplex] = [await onSocketIo(payload), await onDuplex(payload)];
    expect(reference).toEqual({ errors: ["/", "/b"], reasons: ["/ forced close", "/b forced close"], nextPoll: "6\u001e1" });
    expect(duplex).toEqual(reference);
  });

  it.each([
    ["a second CONNECT", "40"],
    ["a CONNECT_ERROR from the client", '44{"message":"x"}'],
    ["an event for a namespace not joined", '42/nope,["hello"]'],
  ])("%s: no \"error\", the session closes with \"forced server close\"", async (_what, payload) => {
    const [reference, duplex] = [await onSocketIo(payload), await onDuplex(payload)];
    expect(reference).toEqual({ errors: [], reasons: ["/ forced server close", "/b forced server close"], nextPoll: "6\u001e1" });
    expect(duplex).toEqual(reference);
  });
});
