import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Headers } from "./cors";

/**
 * A Connect/Express-style middleware run on every request the engine takes
 * (handshakes, polls, posts, upgrades), before the engine looks at it:
 * `engine.use(session)`, `engine.use(helmet())`. As engine.io 6's `use`.
 */
export type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Runs `fns` in order; `done(err)` after the last one, or at the first error. */
export function applyMiddlewares(
  fns: readonly EngineMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (err?: unknown) => void,
): void {
  if (fns.length === 0) return done();
  const step = (i: number): void => {
    let called = false;
    fns[i](req, res, (err) => {
      if (called) return;
      called = true;
      if (err !== undefined && err !== null) done(err);
      else if (i + 1 < fns.length) step(i + 1);
      else done();
    });
  };
  step(0);
}

/**
 * What a middleware gets as `res` for a WebSocket upgrade, where there is no
 * ServerResponse yet: headers it sets go into the 101 answer; a middleware
 * that answers itself (`writeHead`/`end`) ends the upgrade with that status.
 */
export class UpgradeResponse {
  readonly headers: Headers = {};
  statusCode = 200;
  headersSent = false;
  writableEnded = false;

  constructor(
    readonly req: IncomingMessage,
    private readonly socket: Duplex,
  ) {}

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers[name] = Array.isArray(value) ? [...value] : String(value);
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.headers[name];
  }

  removeHeader(name: string): void {
    delete this.headers[name];
  }

  /**
   * Records the status and headers of an answer a middleware gives itself
   * (followed by `end`). The engine calls it with 101 just before it writes
   * the 101 answer, so hooks on writeHead (on-headers, used by
   * express-session to set its cookie) run for upgrades too.
   */
  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this {
    this.statusCode = status;
    if (headers) for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    return this;
  }

  /** The middleware answered: the upgrade ends here, with its status. */
  end(body?: string | Buffer): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.headersSent = true;
    const text = body === undefined ? "" : String(body);
    const lines = Object.entries(this.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}\r\n`));
    if (this.socket.writable) {
      this.socket.write(
        `HTTP/1.1 ${this.statusCode} ${this.statusCode === 200 ? "OK" : "Refused"}\r\nConnection: close\r\n${lines.join("")}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    }
    this.socket.destroy();
    return this;
  }
}
