/**
 * A request that failed before an HTTP answer, told in plain words: the
 * difference between "nothing listens there", "no such host" and "something
 * listens but does not answer" is the first thing a doctor has to say.
 */
export interface NetFailure {
  /** The system code (ECONNREFUSED, ENOTFOUND, ECONNRESET, …) or TIMEOUT. */
  code: string;
  /** One sentence: what happened. */
  message: string;
}

/** Codes that mean nothing usable answers at that address. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "TIMEOUT", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** Whether the failure says nothing listens (as opposed to something listening and misbehaving). */
export function isUnreachable(f: NetFailure): boolean {
  return UNREACHABLE.has(f.code);
}

/** An error thrown by node:http, node:tls, node:dns or ws, as a NetFailure. */
export function netFailure(err: unknown, host: string, timeout: number): NetFailure {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : "ERROR";
  const message = {
    TIMEOUT: `no connection within ${timeout} ms`,
    NO_ANSWER: `connected, but no answer within ${timeout} ms`,
    ECONNREFUSED: `connection refused (nothing listens on ${host})`,
    ENOTFOUND: `DNS lookup failed: no such host ${host.replace(/:\d+$/, "")}`,
    EAI_AGAIN: `DNS lookup failed (temporary failure) for ${host.replace(/:\d+$/, "")}`,
    ECONNRESET: "the connection was reset",
    EHOSTUNREACH: `no route to host ${host}`,
    ENETUNREACH: `network unreachable for ${host}`,
  }[code];
  return { code, message: message ?? `${code}: ${e?.message ?? String(err)}` };
}

/** The error a probe raises when its deadline passes: NO_ANSWER once the TCP connection was made, else TIMEOUT. */
export function timeoutError(connected = false): NodeJS.ErrnoException {
  return Object.assign(new Error("timeout"), { code: connected ? "NO_ANSWER" : "TIMEOUT" });
}
