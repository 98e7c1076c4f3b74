/** Where a client connects: the engine's origin, the namespace, and the cache key of its manager. */
export interface Target {
  /** Origin plus query, for the engine. */
  source: string;
  /** Namespace from the URL's path ("/" when none). */
  nsp: string;
  /** `protocol//host:port`: one manager per origin and path. */
  id: string;
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };

/**
 * Resolves `uri` as socket.io-client does: relative to the page in a browser
 * (`io()`, `io("/chat")`), absolute in Node.
 */
export function resolve(uri?: string): Target {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let text = uri ?? "";
  if (base === undefined && text.startsWith("/") && !text.startsWith("//")) {
    // Only Node gets here (a page always has a location): the long message costs the bundles nothing.
    throw new TypeError(
      !globalThis.__DUPLEX_TERSE__
        ? `io(${JSON.stringify(text)}): a relative URL needs a page to resolve against; in Node, give the full URL, e.g. io("http://localhost:3000${text}")`
        : "relative URL",
    );
  }
  if (base === undefined && !/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    // Node without a page: "localhost:3000/chat" means http://localhost:3000/chat
    text = `http://${text.startsWith("//") ? text.slice(2) : text}`;
  }
  const url = new URL(text || "/", base);
  const port = url.port || DEFAULT_PORTS[url.protocol] || "";
  const host = url.hostname.includes(":") ? `[${url.hostname}]` : url.hostname;
  return {
    source: `${url.protocol}//${host}:${port}${url.search}`,
    nsp: url.pathname || "/",
    id: `${url.protocol}//${host}:${port}`,
  };
}
