/**
 * Resolves `uri` as socket.io-client does: relative to the page in a browser
 * (`io()`, `io("/chat")`), absolute in Node, where "localhost:3000/chat"
 * means http://localhost:3000/chat. The URL's path is the namespace; its
 * origin and query are the engine's.
 */
export function resolve(uri = ""): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (base === undefined) {
    if (uri.startsWith("/") && !uri.startsWith("//")) {
      // Only Node gets here (a page always has a location): the long message costs the bundles nothing.
      throw new TypeError(
        !globalThis.__DUPLEX_TERSE__
          ? `io(${JSON.stringify(uri)}): a relative URL needs a page to resolve against; in Node, give the full URL, e.g. io("http://localhost:3000${uri}")`
          : "relative URL",
      );
    }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) uri = `http://${uri.replace(/^\/\//, "")}`;
  }
  return new URL(uri || "/", base);
}
