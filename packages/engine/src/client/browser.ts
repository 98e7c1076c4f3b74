/**
 * `@duplex/engine/client` for browsers: the global WebSocket, atob/btoa for
 * the base64 of binary polling packets, ArrayBuffer for received binary. No
 * Node built-in and no `ws` is reachable from here.
 */
import type { SocketOptions } from "./options";
import type { Platform, WebSocketLike } from "./platform";
import { BaseSocket } from "./socket";

export * from "./exports";

/** The absolute URL `uri` means on this page (what `io(uri)` connects to). */
export function resolveUri(uri?: string): URL {
  // "host:3000" has no scheme: read it as "//host:3000", as socket.io-client does.
  if (uri && !/^[a-z]+:\/\/|^\//i.test(uri)) uri = "//" + uri;
  return new URL(uri || "/", location.href);
}

const platform: Platform = {
  resolve: resolveUri,
  // Browsers cannot set WebSocket handshake headers: extraHeaders apply to polling only.
  ws: (url) => new WebSocket(url) as WebSocketLike,
  binaryType: "arraybuffer",
  // One byte per character: btoa reads a "binary string".
  b64: (bytes) => btoa(bytes.reduce((text, byte) => text + String.fromCharCode(byte), "")),
  unb64: (text) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0)).buffer,
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
