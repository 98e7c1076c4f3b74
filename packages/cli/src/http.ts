import * as http from "node:http";
import * as https from "node:https";
import { performance } from "node:perf_hooks";
import { netFailure, timeoutError, type NetFailure } from "./network";

/** What an HTTP server answered. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  /** The body as text, up to MAX_BODY bytes. */
  body: string;
  /** Milliseconds from sending the request to the end of the body. */
  ms: number;
}

export type HttpOutcome = { answer: HttpAnswer; failure?: undefined } | { answer?: undefined; failure: NetFailure };

/** A handshake fits in a few hundred bytes; an HTML page needs no more than its start. */
const MAX_BODY = 64 * 1024;

/**
 * The agents of one doctor run: keep-alive, so that the round trips measured
 * after the handshake reuse its connection and time the server, not TCP
 * connects. Destroyed at the end of the run so the process can exit.
 */
export class Agents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https = new https.Agent({ keepAlive: true });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** One request; never rejects: a failure before an answer is a NetFailure. */
export function request(url: string, agents: Agents, timeout: number, method: "GET" | "POST" = "GET", body?: string): Promise<HttpOutcome> {
  const u = new URL(url);
  const secure = u.protocol === "https:";
  const start = performance.now();
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(u, {
      method,
      agent: secure ? agents.https : agents.http,
      headers: body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8", "content-length": Buffer.byteLength(body) },
    });
    // Connected but silent is not the same as nothing there: a server that ignores this path.
    const timer = setTimeout(() => req.destroy(timeoutError(req.socket ? !req.socket.connecting : false)), timeout);
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve({ failure: netFailure(err, u.host, timeout) });
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        resolve({
          answer: {
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - start,
          },
        });
      };
      res.on("data", (c: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(c);
        size += c.length;
        // Enough to judge: stop reading (a large page, or an endless stream).
        if (size >= MAX_BODY) {
          done();
          req.destroy();
        }
      });
      res.on("end", done);
      // An answer cut short still says what the server is.
      res.on("error", done);
      res.on("aborted", done);
    });
    req.end(body);
  });
}
