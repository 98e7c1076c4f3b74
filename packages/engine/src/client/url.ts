import type { SocketOptions, TransportName } from "./options";

let counter = 0;

/**
 * Where the engine is, as the http(s) URL of its path with the query every
 * request carries: scheme, host and port from the URI's absolute URL `u`
 * (http/https/ws/wss; see the platforms' `resolve`; `u` is changed),
 * overridable by options; the path from `opts.path` (as in engine.io-client,
 * the URI's own path is ignored: for Socket.IO it is the namespace). Its
 * origin and path name the endpoint in the transport memory (fallback.ts).
 */
export function endpoint(u: URL, o: SocketOptions): URL {
  // Set before the port: a default port of the final scheme is dropped.
  u.protocol = o.secure ?? /^(https|wss):$/.test(u.protocol) ? "https" : "http";
  const host = o.hostname;
  if (host) u.hostname = host.includes(":") && host[0] != "[" ? "[" + host + "]" : host;
  if (o.port != null) u.port = String(o.port);
  // Only the origin and the query of the URI count (no credentials, path or hash).
  const e = new URL((o.path || "/engine.io").replace(/\/$/, "") + (o.addTrailingSlash !== false ? "/" : ""), u.origin);
  e.search = u.search;
  const q = e.searchParams;
  new URLSearchParams(o.query as Record<string, string>).forEach((v, k) => q.set(k, v));
  // Engine.IO v4 "Handshake": EIO=4 on every request, whatever the URI said.
  q.set("EIO", "4");
  return e;
}

/** The URL of one transport's requests (engine.io-protocol v4, "Transports"), with the session id once there is one. */
export function transportUrl(base: URL, t: TransportName, sid: string | null, o: SocketOptions): string {
  const u = new URL(base);
  const q = u.searchParams;
  q.set("transport", t);
  if (sid) q.set("sid", sid);
  if (t == "websocket") u.protocol = u.protocol == "https:" ? "wss" : "ws";
  else if (o.timestampRequests !== false) q.set(o.timestampParam || "t", Date.now().toString(36) + (counter++).toString(36));
  return u.href;
}
