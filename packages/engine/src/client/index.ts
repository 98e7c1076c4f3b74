/**
 * `@duplex/engine/client` for Node: the Engine.IO v4 client with `ws` as its
 * WebSocket (Node 20 has no stable global one; `ws` also sends extraHeaders)
 * and Buffer for binary. Browsers get browser.ts through the package's
 * "browser" export condition, so their bundle never contains `ws`.
 */
import WebSocket from "ws";
import type { SocketOptions } from "./options";
import type { Platform, WebSocketLike } from "./platform";
import { unrefFetch } from "./node-request";
import { nodeClock } from "./node-timers";
import { resolveNodeUri } from "./node-url";
import { BaseSocket } from "./socket";

export * from "./exports";

/**
 * The absolute URL `uri` means in Node: "localhost:3000" is
 * http://localhost:3000; throws an `INVALID_URL` EngineClientError for a
 * relative path, a scheme other than http/https/ws/wss, or what is not a URL.
 */
export const resolveUri: (uri?: string) => URL = resolveNodeUri;

const platform: Platform = {
  resolve: resolveNodeUri,
  ws: (url, headers) => new WebSocket(url, { headers }) as unknown as WebSocketLike,
  // `ws` reports a handshake answered other than 101 as "Unexpected server response: <status>".
  handshakeStatus: (error) => {
    const answered = /^Unexpected server response: (\d+)$/.exec(error.message || "");
    return answered ? Number(answered[1]) : undefined;
  },
  binaryType: "nodebuffer",
  b64: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
  unb64: (text, binaryType) => {
    const bytes = Buffer.from(text, "base64");
    return binaryType === "nodebuffer" ? bytes : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  },
};

/** An `autoUnref` client's: its WebSocket's TCP socket and its polling requests do not keep the process alive. */
const unrefPlatform: Platform = {
  ...platform,
  ws: (url, headers) => {
    const ws = new WebSocket(url, { headers });
    // ws's public way to the TCP socket: the handshake's response (engine.io-client unrefs the same socket).
    ws.once("upgrade", (response) => response.socket.unref());
    return ws as unknown as WebSocketLike;
  },
  fetch: unrefFetch,
};

/**
 * An Engine.IO v4 client session.
 * @example
 * const socket = new Socket("http://localhost:3000", { path: "/engine.io" });
 * socket.on("open", () => socket.send("hello"));
 * socket.on("message", (data) => console.log(data));
 * socket.on("error", (err) => console.error(err.code, err.message));
 */
export class Socket extends BaseSocket {
  constructor(uri?: string | SocketOptions, opts?: SocketOptions) {
    if (uri && typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    const options = opts || {};
    const timers = nodeClock(options);
    super(uri, timers ? { ...options, clock: timers } : options, options.autoUnref ? unrefPlatform : platform);
  }
}
