import type { SocketOptions, TransportName } from "./options";

let counter = 0;

export interface Endpoint {
  /** Origin and path: names the endpoint in the module-level transport memory. */
  key: string;
  /** The URL of one transport's requests, with the session id once there is one. */
  url(t: TransportName, sid?: string | null): string;
}

/**
 * Where the engine is: scheme, host and port from the URI (http/https/ws/wss),
 * overridable by options; the path from `opts.path` (as in engine.io-client,
 * the URI's own path is ignored: for Socket.IO it is the namespace).
 */
export function endpoint(uri: string | undefined, o: SocketOptions): Endpoint {
  const loc = typeof location != "undefined" ? location.href : "http://localhost";
  // "host:3000" has no scheme: read it as "//host:3000", as engine.io-client does.
  if (uri && !/^[a-z]+:\/\/|^\//i.test(uri)) uri = "//" + uri;
  const u = new URL(uri || loc, loc);
  const secure = o.secure ?? /^(https|wss):$/.test(u.protocol);
  let host = o.hostname || u.hostname;
  if (host.includes(":") && host[0] != "[") host = "[" + host + "]";
  const port = String(o.port ?? u.port);
  const path = (o.path || "/engine.io").replace(/\/$/, "") + (o.addTrailingSlash !== false ? "/" : "");
  const key = (secure ? "s://" : "://") + host + (port && port != (secure ? "443" : "80") ? ":" + port : "") + path;
  const query = new URLSearchParams(u.search);
  new URLSearchParams(o.query as Record<string, string>).forEach((v, k) => query.set(k, v));
  return {
    key,
    url(t, sid) {
      const q = new URLSearchParams(query);
      q.set("EIO", "4");
      q.set("transport", t);
      if (sid) q.set("sid", sid);
      if (t == "polling" && o.timestampRequests !== false) {
        q.set(o.timestampParam || "t", Date.now().toString(36) + (counter++).toString(36));
      }
      return (t == "polling" ? "http" : "ws") + key + "?" + q;
    },
  };
}
