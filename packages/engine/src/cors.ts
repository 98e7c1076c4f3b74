import type { IncomingMessage } from "node:http";
import type { CorsOptions } from "./options";

export type Headers = Record<string, string | string[]>;

/** The CORS verdict for one request: headers to add, and whether it is a preflight to answer. */
export interface CorsResult {
  headers: Headers;
  preflight: boolean;
}

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function list(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

function matches(origin: string, allowed: string | RegExp): boolean {
  return typeof allowed === "string" ? allowed === origin : allowed.test(origin);
}

/**
 * Resolves the allowed origin for a request, as the `cors` middleware that
 * engine.io uses does: `true` reflects the request's origin, `"*"` allows any,
 * a string or RegExp or list is matched, a function decides asynchronously.
 */
function resolveOrigin(opts: CorsOptions, origin: string | undefined, done: (allow: string | false) => void): void {
  const setting = opts.origin ?? "*";
  if (typeof setting === "function") {
    setting(origin, (err, allow) => {
      if (err || !allow) done(false);
      else done(allow === true ? (origin ?? false) : allow);
    });
    return;
  }
  if (setting === "*") return done("*");
  if (setting === false) return done(false);
  if (origin === undefined) return done(false);
  if (setting === true) return done(origin);
  if (typeof setting === "string") return done(setting);
  const allowedList = setting instanceof RegExp ? [setting] : setting;
  done(allowedList.some((a) => matches(origin, a)) ? origin : false);
}

/** Computes the CORS headers for `req`; calls back once (synchronously unless origin is a function). */
export function corsHeaders(opts: CorsOptions, req: IncomingMessage, done: (result: CorsResult) => void): void {
  const origin = req.headers.origin;
  resolveOrigin(opts, origin, (allow) => {
    const headers: Headers = {};
    if (allow !== false) {
      headers["Access-Control-Allow-Origin"] = allow;
      if (allow !== "*") headers["Vary"] = "Origin";
      if (opts.credentials) headers["Access-Control-Allow-Credentials"] = "true";
      const exposed = list(opts.exposedHeaders);
      if (exposed) headers["Access-Control-Expose-Headers"] = exposed;
    }
    const preflight = req.method === "OPTIONS";
    if (preflight && allow !== false) {
      headers["Access-Control-Allow-Methods"] = list(opts.methods) ?? DEFAULT_METHODS;
      const requested = req.headers["access-control-request-headers"];
      const allowedHeaders = list(opts.allowedHeaders) ?? requested;
      if (allowedHeaders) {
        headers["Access-Control-Allow-Headers"] = allowedHeaders;
        if (opts.allowedHeaders === undefined) headers["Vary"] = "Origin, Access-Control-Request-Headers";
      }
      if (opts.maxAge !== undefined) headers["Access-Control-Max-Age"] = String(opts.maxAge);
    }
    done({ headers, preflight });
  });
}
