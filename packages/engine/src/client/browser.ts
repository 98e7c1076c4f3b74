/**
 * `@duplex/engine/client` for browsers: the global WebSocket, atob/btoa for
 * the base64 of binary polling packets, ArrayBuffer for received binary. No
 * Node built-in and no `ws` is reachable from here.
 */
import type { SocketOptions } from "./options";
import type { Platform, WebSocketLike } from "./platform";
import { BaseSocket } from "./socket";

export * from "./exports";

const platform: Platform = {
  // Browsers cannot set WebSocket handshake headers: extraHeaders apply to polling only.
  ws: (url) => new WebSocket(url) as WebSocketLike,
  binaryType: "arraybuffer",
  b64: (b) => {
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  },
  unb64: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer,
};

/**
 * An Engine.IO v4 client session.
 * @example
 * const socket = new Socket("https://example.com", { path: "/socket.io" });
 * socket.on("open", () => socket.send("hello"));
 * socket.on("message", (data) => console.log(data));
 */
export class Socket extends BaseSocket {
  constructor(uri?: string | SocketOptions, opts?: SocketOptions) {
    super(uri, opts, platform);
  }
}
