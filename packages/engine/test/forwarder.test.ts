// engine.forwarder: the hook a multi-node adapter uses to serve requests for
// sessions held by another node. It sees only requests naming a sid this
// engine does not hold, before any middleware; it marks the sids of new
// sessions; without it, or when it declines, the engine answers as usual.
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { SessionForwarder } from "@duplex/engine";
import { httpRequest, pollingHandshake, startEngine, type Harness } from "./helpers";

let h: Harness;
afterEach(() => h.close());

/** A forwarder that takes the sids starting with "elsewhere" and records what it saw. */
function recordingForwarder(): SessionForwarder & { requests: string[]; upgrades: string[] } {
  const requests: string[] = [];
  const upgrades: string[] = [];
  return {
    requests,
    upgrades,
    ownSid: (id) => `here${id}`,
    forwardRequest(_req: IncomingMessage, res: ServerResponse, sid: string) {
      requests.push(sid);
      if (!sid.startsWith("elsewhere")) return false;
      res.writeHead(200, { "Content-Type": "text/plain" }).end("answered by the owner");
      return true;
    },
    forwardUpgrade(_req: IncomingMessage, socket: Duplex, _head: Buffer, sid: string) {
      upgrades.push(sid);
      if (!sid.startsWith("elsewhere")) return false;
      socket.end("HTTP/1.1 418 Relayed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    },
  };
}

/** Sends a raw WebSocket upgrade request; resolves with the status line of the answer. */
function upgradeStatus(port: number, sid: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET /engine.io/?EIO=4&transport=websocket&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("close", () => resolve(answer.split("\r\n")[0]));
    socket.on("error", reject);
  });
}

it("new sessions get the sid the forwarder makes from generateId's", async () => {
  h = await startEngine();
  h.engine.forwarder = recordingForwarder();
  const { sid } = await pollingHandshake(h.port);
  expect(sid.startsWith("here")).toBe(true);
  expect(sid).toHaveLength("here".length + 20);
  expect(h.engine.sessions.has(sid)).toBe(true);
});

it("a request for a sid the engine does not hold goes to the forwarder, before the middlewares", async () => {
  h = await startEngine();
  const forwarder = recordingForwarder();
  h.engine.forwarder = forwarder;
  const middlewareSaw: string[] = [];
  h.engine.use((req, _res, next) => {
    middlewareSaw.push(req.url ?? "");
    next();
  });
  const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling&sid=elsewhere123", { method: "POST", body: "4hello" });
  expect([res.status, res.body]).toEqual([200, "answered by the owner"]);
  expect(forwarder.requests).toEqual(["elsewhere123"]);
  expect(middlewareSaw).toEqual([]);
});

it("a declined request gets the engine's own answer (400, Session ID unknown)", async () => {
  h = await startEngine();
  const forwarder = recordingForwarder();
  h.engine.forwarder = forwarder;
  const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling&sid=nobody");
  expect([res.status, JSON.parse(res.body)]).toEqual([400, { code: 1, message: "Session ID unknown" }]);
  expect(forwarder.requests).toEqual(["nobody"]);
});

it("requests for the engine's own sessions and handshakes never reach the forwarder", async () => {
  h = await startEngine();
  const forwarder = recordingForwarder();
  h.engine.forwarder = forwarder;
  const { sid } = await pollingHandshake(h.port);
  const post = await httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "4hello" });
  expect(post.status).toBe(200);
  expect(forwarder.requests).toEqual([]);
});

it("an upgrade for a sid the engine does not hold goes to the forwarder; a declined one is refused as usual", async () => {
  h = await startEngine();
  const forwarder = recordingForwarder();
  h.engine.forwarder = forwarder;
  expect(await upgradeStatus(h.port, "elsewhere456")).toBe("HTTP/1.1 418 Relayed");
  expect(await upgradeStatus(h.port, "nobody")).toBe("HTTP/1.1 400 Bad Request");
  expect(forwarder.upgrades).toEqual(["elsewhere456", "nobody"]);
});

it("without a forwarder, sids are generateId's and unknown sids are refused", async () => {
  h = await startEngine();
  expect(h.engine.forwarder).toBeNull();
  const { sid } = await pollingHandshake(h.port);
  expect(sid).toHaveLength(20);
  const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling&sid=elsewhere123");
  expect(res.status).toBe(400);
});
