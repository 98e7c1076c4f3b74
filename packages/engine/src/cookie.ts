import type { CookieOptions } from "./options";

// RFC 6265 §4.1.1 cookie-name is a token; the value we write is a sid (base64url).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Serializes the affinity cookie set at handshake (`io=<sid>; Path=/; HttpOnly; SameSite=Lax`). */
export function serializeCookie(value: string, opts: CookieOptions): string {
  const name = opts.name ?? "io";
  if (!TOKEN.test(name)) throw new TypeError(`cookie name ${JSON.stringify(name)} is not an RFC 6265 token`);
  let cookie = `${name}=${encodeURIComponent(value)}`;
  if (opts.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(opts.maxAge)}`;
  if (opts.domain) cookie += `; Domain=${opts.domain}`;
  if (opts.path) cookie += `; Path=${opts.path}`;
  if (opts.httpOnly) cookie += "; HttpOnly";
  if (opts.secure) cookie += "; Secure";
  if (opts.sameSite) {
    const same = opts.sameSite === true ? "Strict" : opts.sameSite[0].toUpperCase() + opts.sameSite.slice(1);
    cookie += `; SameSite=${same}`;
  }
  return cookie;
}
