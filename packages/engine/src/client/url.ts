import type { SocketOptions, TransportName } from "./options";

let counter = 0;

/**
 * Where the engine is, as the http(s) URL of its path with the query every
 * request carries: scheme, host and port from the URI's absolute URL `uri`
 * (http/https/ws/wss; see the platforms' `resolve`; `uri` is changed),
 * overridable by options; the path from `opts.path` (as in engine.io-client,
 * the URI's own path is ignored: for Socket.IO it is the namespace). Its
 * origin and path name the endpoint in the transport memory (fallback.ts).
 */
export function endpoint(uri: URL, opts: SocketOptions): URL {
  // Set before the port: a default port of the final scheme is dropped.
  uri.protocol = opts.secure ?? /^(https|wss):$/.test(uri.protocol) ? "https" : "http";
  const host = opts.hostname;
  // An IPv6 address goes in brackets.
  if (host) uri.hostname = host.includes(":") && host[0] !== "[" ? "[" + host + "]" : host;
  if (opts.port !== undefined && opts.port !== null) uri.port = String(opts.port);
  // Only the origin and the query of the URI count (no credentials, path or hash).
  const path = (opts.path || "/engine.io").replace(/\/$/, "") + (opts.addTrailingSlash !== false ? "/" : "");
  const base = new URL(path, uri.origin);
  base.search = uri.search;
  const query = base.searchParams;
  new URLSearchParams(opts.query as Record<string, string>).forEach((value, name) => query.set(name, value));
  // Engine.IO v4 "Handshake": EIO=4 on every request, whatever the URI said.
  query.set("EIO", "4");
  return base;
}

/** The URL of one transport's requests (engine.io-protocol v4, "Transports"), with the session id once there is one. */
export function transportUrl(base: URL, transport: TransportName, sid: string | null, opts: SocketOptions): string {
  const url = new URL(base);
  const query = url.searchParams;
  query.set("transport", transport);
  if (sid) query.set("sid", sid);
  if (transport === "websocket") {
    url.protocol = url.protocol === "https:" ? "wss" : "ws";
  } else if (opts.timestampRequests !== false) {
    // A value no cache has seen: the time and a counter.
    query.set(opts.timestampParam || "t", Date.now().toString(36) + (counter++).toString(36));
  }
  return url.href;
}
