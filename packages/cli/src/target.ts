/**
 * Where the doctor looks: the endpoint's URLs for each probe, built from the
 * URL the user typed and `--path`.
 */
export interface Target {
  /** `http:` or `https:` (ws/wss URLs are read as their HTTP twins). */
  secure: boolean;
  /** `host:port` as typed (brackets kept around IPv6). */
  host: string;
  /** The engine path, with a trailing slash: "/socket.io/". */
  path: string;
  /** Query parameters of the typed URL, kept on every request (tokens, …). */
  query: URLSearchParams;
}

/** Default engine path: Socket.IO's. */
export const DEFAULT_PATH = "/socket.io/";
/** Tried too when the default path finds nothing Engine.IO-like: a bare Engine.IO server's. */
export const FALLBACK_PATH = "/engine.io/";

/** Where the engine path came from: `--path`, the URL's own path, or the default. */
export type PathSource = "option" | "url" | "default";

/**
 * The URL's own path is used as the engine path when it is not "/" and no
 * `--path` was given, so `duplex doctor http://host/socket.io/` and
 * `duplex doctor ws://host/chat` probe what they name first (the doctor then
 * tries /socket.io/ too: a Socket.IO client reads that path as a namespace).
 * Throws a TypeError for a URL that cannot be parsed or has another scheme.
 */
export function parseTarget(input: string, path?: string): { target: Target; pathSource: PathSource } {
  // "host:3000" has no scheme: read it as http://host:3000, as engine.io-client does.
  const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : "http://" + input);
  if (!/^(https?|wss?):$/.test(u.protocol)) throw new TypeError(`expected an http, https, ws or wss URL; got ${JSON.stringify(input)}`);
  const fromUrl = u.pathname !== "/" ? u.pathname : undefined;
  const chosen = path ?? fromUrl;
  return {
    target: {
      secure: u.protocol === "https:" || u.protocol === "wss:",
      host: u.host,
      path: normalizePath(chosen ?? DEFAULT_PATH),
      query: u.searchParams,
    },
    pathSource: path !== undefined ? "option" : fromUrl !== undefined ? "url" : "default",
  };
}

/** "/engine.io" → "/engine.io/", "socket.io" → "/socket.io/". */
export function normalizePath(p: string): string {
  return ("/" + p.replace(/^\/+/, "")).replace(/\/*$/, "/");
}

/** The same endpoint at another path. */
export function atPath(t: Target, path: string): Target {
  return { ...t, path: normalizePath(path) };
}

/** The URL of one Engine.IO request (polling over http(s), websocket over ws(s)). */
export function engineUrl(t: Target, transport: "polling" | "websocket", eio: 3 | 4 = 4, sid?: string): string {
  const q = new URLSearchParams(t.query);
  q.set("EIO", String(eio));
  q.set("transport", transport);
  if (sid) q.set("sid", sid);
  const scheme = transport === "polling" ? (t.secure ? "https" : "http") : t.secure ? "wss" : "ws";
  return `${scheme}://${t.host}${t.path}?${q}`;
}

/** The origin as typed, for messages: "http://127.0.0.1:3000". */
export function origin(t: Target): string {
  return `${t.secure ? "https" : "http"}://${t.host}`;
}
