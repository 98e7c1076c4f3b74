import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import createDebug from "debug";

const debug = createDebug("duplex:server:serve-client");

/**
 * The browser files socket.io serves at `<path>/…`, and the @duplex/client
 * bundle each one is (see scripts/bundle.mjs). As socket.io serves its
 * unminified client as socket.io.js, socket.io.js is the development bundle
 * (readable, full error messages, the side diagnosis of a failed WebSocket);
 * the .min.js names are the production ones. The bundles carry no
 * sourceMappingURL comment; each script is answered with a `SourceMap` header
 * naming its map under the name the script was asked for.
 */
const FILES: Readonly<Record<string, string>> = {
  "socket.io.js": "duplex.js",
  "socket.io.min.js": "duplex.min.js",
  "socket.io.esm.min.js": "duplex.esm.min.js",
  "socket.io.js.map": "duplex.js.map",
  "socket.io.min.js.map": "duplex.min.js.map",
  "socket.io.esm.min.js.map": "duplex.esm.min.js.map",
};

interface CachedFile {
  etag: string;
  contentType: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

/** Each file is read and compressed once per process, on its first request. */
const cache = new Map<string, Promise<CachedFile | null>>();
let missingClientLogged = false;

/** Where @duplex/client's dist folder is, or null when the package is not installed. */
function clientDist(): string | null {
  try {
    return join(dirname(require.resolve("@duplex/client/package.json")), "dist");
  } catch {
    return null;
  }
}

function load(bundle: string): Promise<CachedFile | null> {
  let entry = cache.get(bundle);
  if (entry === undefined) {
    entry = read(bundle);
    cache.set(bundle, entry);
  }
  return entry;
}

async function read(bundle: string): Promise<CachedFile | null> {
  const dist = clientDist();
  if (dist === null) {
    if (!missingClientLogged) {
      missingClientLogged = true;
      console.warn(
        "@duplex/server: serveClient is on but @duplex/client is not installed, so /socket.io/socket.io.js answers 404. " +
          "Install @duplex/client, or pass serveClient: false.",
      );
    }
    return null;
  }
  let identity: Buffer;
  try {
    identity = await readFile(join(dist, bundle));
  } catch {
    debug("%s not found in %s", bundle, dist);
    return null;
  }
  return {
    etag: `"${createHash("sha1").update(identity).digest("base64url")}"`,
    contentType: bundle.endsWith(".map") ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8",
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

/** The encodings an Accept-Encoding header allows (q > 0). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  if (header === undefined) return accepted;
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    accepted.add(name.trim());
  }
  return accepted;
}

/** The browser file `url` names under `path`, or null when it is not one. */
export function clientFileOf(url: string | undefined, path: string): string | null {
  if (url === undefined || !url.startsWith(`${path}/`)) return null;
  const query = url.indexOf("?");
  const name = url.slice(path.length + 1, query < 0 ? undefined : query);
  return Object.prototype.hasOwnProperty.call(FILES, name) ? name : null;
}

/**
 * Answers a request for a browser file, as socket.io does: an ETag and 304
 * on If-None-Match, `Cache-Control: public, max-age=0`, and brotli or gzip
 * when the client accepts them; 404 when the file (or @duplex/client) is not
 * there.
 */
export function serveClientFile(name: string, req: IncomingMessage, res: ServerResponse): void {
  load(FILES[name] as string).then(
    (file) => {
      if (file === null) {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not Found");
        return;
      }
      const ifNoneMatch = req.headers["if-none-match"];
      const headers: Record<string, string> = {
        "Cache-Control": "public, max-age=0",
        ETag: file.etag,
        Vary: "Accept-Encoding",
      };
      if (!name.endsWith(".map")) headers.SourceMap = `${name}.map`;
      if (ifNoneMatch === file.etag || ifNoneMatch === `W/${file.etag}`) {
        res.writeHead(304, headers).end();
        return;
      }
      const encodings = acceptedEncodings(req.headers["accept-encoding"]);
      const [encoding, body] = encodings.has("br") ? ["br", file.br] : encodings.has("gzip") ? ["gzip", file.gzip] : [null, file.identity];
      headers["Content-Type"] = file.contentType;
      headers["Content-Length"] = String(body.length);
      if (encoding !== null) headers["Content-Encoding"] = encoding;
      res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : body);
    },
    (err: Error) => {
      debug("serving %s failed: %s", name, err.message);
      res.writeHead(500).end();
    },
  );
}

/**
 * Puts a listener in front of `server`'s "request" listeners that answers the
 * browser files while `enabled()` holds, and passes every other request on.
 */
export function attachClientServing(server: HttpServer, path: () => string, enabled: () => boolean): void {
  const previous = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const name = enabled() && (req.method === "GET" || req.method === "HEAD") ? clientFileOf(req.url, path()) : null;
    if (name !== null) serveClientFile(name, req, res);
    else for (const listener of previous) listener.call(server, req, res);
  });
}
