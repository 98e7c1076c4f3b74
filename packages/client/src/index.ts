/**
 * @duplex/client: a socket.io-client 4.x compatible client for browsers and Node.
 *
 * @example
 * import { io } from "@duplex/client";
 * const socket = io("https://example.com", { auth: { token: "…" } });
 * socket.emit("hello", "world", (answer) => console.log(answer));
 */
import { Manager, type ManagerOptions } from "./manager";
import { Socket, type SocketOptions } from "./socket";
import { resolveUri } from "@duplex/engine/client";

export interface ClientOptions extends ManagerOptions, Partial<SocketOptions> {
  /** A new manager (engine session) even if one exists for this origin. */
  forceNew?: boolean;
  /** Share a manager between namespaces of one origin. Default true. */
  multiplex?: boolean;
}

/** Managers shared between namespaces, by origin and path. */
const cache: Record<string, Manager> = {};

/**
 * Connects to the namespace in `uri` (default "/"), sharing one engine
 * session per origin and path with the other namespaces unless `forceNew`
 * or `multiplex: false`.
 */
export function io(uri?: string | ClientOptions, opts: ClientOptions = {}): Socket {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  // Relative to the page in browsers; in Node "localhost:3000" is http://localhost:3000, and a
  // URL that cannot name a server throws an INVALID_URL error here, before anything starts.
  const url = resolveUri(uri);
  const nsp = url.pathname || "/";
  // URL's `host` leaves a default port out, so "http://h" and "http://h:80" share a manager.
  const key = `${url.protocol}//${url.host}${opts.path ?? "/socket.io"}`;
  const shared = cache[key];
  // A second socket to a namespace already open on the shared manager gets its own session, as socket.io-client does.
  if (opts.forceNew || opts.multiplex === false || shared?.nsps[nsp]) return new Manager(url.href, opts).socket(nsp, opts);
  if (shared) return shared.socket(nsp, opts);
  const manager = new Manager(url.href, opts);
  cache[key] = manager;
  return manager.socket(nsp, opts);
}

export { io as connect };
export default io;
export { Manager, type ManagerOptions, type ManagerEvents, type ManagerReadyState } from "./manager";
export { Socket, SocketSender, type SocketReservedEvents, type ConnectError, type DisconnectReason, type EmitFlags, type SocketOptions } from "./socket";
export { Backoff } from "./backoff";
/** Socket.IO protocol revision. */
export const protocol = 5;
