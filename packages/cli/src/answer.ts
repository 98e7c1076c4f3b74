/**
 * What one answer says about the endpoint: an Engine.IO v4 open packet, an
 * Engine.IO v3 payload, an Engine.IO error, or something that is not
 * Engine.IO at all (told apart as the engine client does it, in
 * packages/engine/src/client/diagnose.ts, with more words).
 */

/** The values of an Engine.IO open packet (engine.io-protocol v4, "Handshake"). */
export interface Handshake {
  sid: string;
  upgrades: string[];
  pingInterval?: number;
  pingTimeout?: number;
  /** Absent before engine.io 6.1, and in Engine.IO v3. */
  maxPayload?: number;
}

export type Answer =
  | { kind: "v4-open"; handshake: Handshake }
  | { kind: "v3-open"; handshake?: Handshake }
  | { kind: "engine-error"; code: number; message: string }
  | { kind: "not-engine"; what: string };

/** Record separator between the packets of a v4 polling payload. */
const SEP = "\x1e";

/**
 * Engine.IO v3 polling payloads are length-prefixed: `96:0{"sid":…}` as
 * text, or, as binary, a 0/1 byte, the length as digit bytes and 0xff (read
 * as U+FFFD once decoded as UTF-8). A v4 handshake always starts with `0{`.
 */
const V3 = /^(\d+:\d|[\0\x01][\0-\x09]+\ufffd)/;

/** Up to 80 characters of what arrived, between backquotes, white space folded. */
export function quote(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return "`" + (flat.length > 80 ? flat.slice(0, 80) + "…" : flat) + "`";
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The open packet `0{"sid":…}` at the start of `s`, if it is one. */
export function openPacket(s: string): Handshake | undefined {
  const first = s.split(SEP)[0];
  if (!first.startsWith("0{")) return;
  return toHandshake(parseJson(first.slice(1)));
}

/** The open packet's JSON, if it has a sid. */
function toHandshake(j: unknown): Handshake | undefined {
  if (!isRecord(j) || typeof j.sid !== "string") return;
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    sid: j.sid,
    upgrades: Array.isArray(j.upgrades) ? j.upgrades.filter((u): u is string => typeof u === "string") : [],
    pingInterval: num(j.pingInterval),
    pingTimeout: num(j.pingTimeout),
    maxPayload: num(j.maxPayload),
  };
}

/** An HTTP answer to a polling handshake. */
export function judgeHttp(status: number, contentType: string, body: string): Answer {
  if (V3.test(body)) {
    // `<length>:<packet>`: the first packet, by its length.
    const m = /^(\d+):/.exec(body);
    const first = m ? body.slice(m[0].length, m[0].length + Number(m[1])) : "";
    // A length that does not match (a hand-written server): up to the next `<length>:`.
    const j = (first.startsWith("0") ? parseJson(first.slice(1)) : undefined) ?? parseJson(/^\d+:0(\{.*?\})(?=\d+:|$)/s.exec(body)?.[1] ?? "");
    return { kind: "v3-open", handshake: toHandshake(j) };
  }
  const handshake = status === 200 ? openPacket(body) : undefined;
  if (handshake) return { kind: "v4-open", handshake };
  const j = parseJson(body);
  // engine.io's errors: 400 {"code":0,"message":"Transport unknown"}, 403 {"code":4,"message":"Forbidden"}, …
  if (status >= 400 && isRecord(j) && typeof j.code === "number" && typeof j.message === "string") {
    return { kind: "engine-error", code: j.code, message: j.message };
  }
  return { kind: "not-engine", what: describeHttp(status, contentType, body, j) };
}

/** "HTTP 404 Not Found, an HTML page: "<h1>Not Found</h1>"" and the like. */
export function describeHttp(status: number, contentType: string, body: string, json = parseJson(body)): string {
  const type = contentType.split(";")[0].trim().toLowerCase();
  let what: string;
  if (status === 426) what = "what a plain WebSocket server answers to plain HTTP";
  else if (type === "text/html" || /^\s*<(!doctype|html)/i.test(body)) what = "an HTML page";
  else if (json !== undefined) what = isRecord(json) ? "JSON without a sid" : "JSON that is not an open packet";
  else if (body.length === 0) what = "an empty body";
  else what = `${type || "a body"} that is not an open packet`;
  return `HTTP ${status}${STATUS[status] ? " " + STATUS[status] : ""}, ${what}${body.length ? ": " + quote(body) : ""}`;
}

const STATUS: Record<number, string> = {
  200: "OK",
  301: "Moved Permanently",
  302: "Found",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** engine.io's error codes (engine.io 6 `Server.errors`), for messages. */
export const ENGINE_ERRORS: Record<number, string> = {
  0: "unknown transport",
  1: "unknown session id",
  2: "bad handshake method",
  3: "bad request",
  4: "forbidden",
  5: "unsupported protocol version",
};

/** One phrase for an HTTP answer: an Engine.IO error is named as such, anything else described. */
export function describeAnswer(a: Answer, status: number, contentType: string, body: string): string {
  switch (a.kind) {
    case "v3-open":
      return `an Engine.IO v3 payload (length-prefixed): ${quote(body)}`;
    case "engine-error":
      return `HTTP ${status} with Engine.IO error ${a.code} (${ENGINE_ERRORS[a.code] ?? "unknown"}): "${a.message}"`;
    default:
      return describeHttp(status, contentType, body);
  }
}
