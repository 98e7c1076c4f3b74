import { parse as parseQuery } from "node:querystring";
import type { EngineSocket } from "@duplex/engine";

/** What the server knew of the client when it joined the namespace. */
export interface Handshake {
  headers: Record<string, string | string[] | undefined>;
  /** Date of the handshake, as a string. */
  time: string;
  address: string;
  /** Whether the request was cross-origin. */
  xdomain: boolean;
  secure: boolean;
  /** Date of the handshake, in ms since the epoch. */
  issued: number;
  url: string;
  query: Record<string, string | string[] | undefined>;
  auth: Record<string, unknown>;
}

/**
 * The handshake of a socket that joined a namespace over `conn` at `issued`
 * (ms since the epoch), with the CONNECT packet's `auth`.
 */
export function handshakeOf(conn: EngineSocket, auth: Record<string, unknown>, issued: number): Handshake {
  const req = conn.request;
  const url = req.url ?? "";
  const at = url.indexOf("?");
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return {
    headers: req.headers,
    time: new Date(issued).toString(),
    address: conn.remoteAddress,
    xdomain: req.headers.origin !== undefined,
    secure: encrypted,
    issued,
    url,
    query: at < 0 ? {} : parseQuery(url.slice(at + 1)),
    auth,
  };
}
