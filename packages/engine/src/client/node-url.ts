import { EngineClientError } from "./errors";

/** The schemes a Socket.IO URL may have: ws/wss stand for http/https, as engine.io-client reads them. */
const SCHEMES = ["http", "https", "ws", "wss"];

function invalid(uri: string, why: string): EngineClientError {
  return new EngineClientError("INVALID_URL", `${JSON.stringify(uri)} is not a Socket.IO URL: ${why}`);
}

/**
 * How a URI is read in Node, where there is no page to resolve it against:
 * "localhost:3000" and "//localhost:3000" mean http://localhost:3000 (what
 * socket.io-client makes of them on an http page); no URI at all means
 * http://localhost (engine.io-client's default host), which the `hostname`,
 * `port` and `secure` options complete. A relative path, a scheme other than
 * http/https/ws/wss, or what does not parse as a URL throws an `INVALID_URL`
 * error: `io()` and `new Socket()` throw it at once, before any request.
 */
export function resolveNodeUri(uri: string | undefined): URL {
  if (!uri) return new URL("http://localhost/");
  if (uri.startsWith("/") && !uri.startsWith("//")) {
    throw invalid(uri, `a relative URL needs a page to resolve against; in Node, give the full URL, e.g. "http://localhost:3000${uri}"`);
  }
  // A URI has a scheme when "://" comes before any "/", "?" or "#".
  const scheme = /^([^/?#]*):\/\//.exec(uri)?.[1];
  if (scheme !== undefined && !SCHEMES.includes(scheme.toLowerCase())) {
    throw invalid(uri, `the scheme ${JSON.stringify(scheme)} is not http, https, ws or wss`);
  }
  let url: URL;
  try {
    url = new URL(scheme !== undefined ? uri : "http://" + uri.replace(/^\/\//, ""));
  } catch {
    throw invalid(uri, "it does not parse as a URL");
  }
  if (url.hostname === "") throw invalid(uri, "it names no host");
  return url;
}
