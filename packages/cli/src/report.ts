import type { Handshake } from "./answer";

/** What answers at the endpoint. */
export type Kind =
  /** An Engine.IO v4 server: Socket.IO 3/4, Duplex, engine.io 4+. */
  | "engine.io-v4"
  /** An Engine.IO v3 server: Socket.IO 2.x, engine.io 3. */
  | "engine.io-v3"
  /** An Engine.IO server that refused every handshake with its `{code, message}` error. */
  | "engine.io-refused"
  /** A WebSocket server that does not speak Engine.IO. */
  | "websocket"
  /** An HTTP server whose answers are not Engine.IO handshakes. */
  | "http"
  /** Nothing answers: connection refused, DNS failure, timeout. */
  | "nothing";

/**
 * The process's exit codes. 0 only for an Engine.IO v4 endpoint on which at
 * least one transport works end to end (warnings may come with it).
 */
export const ExitCode = {
  HEALTHY: 0,
  /** The doctor itself failed (a bug): see stderr. */
  INTERNAL: 1,
  /** Bad arguments. */
  USAGE: 2,
  /** Nothing answers at that address. */
  NOTHING: 3,
  /** A plain HTTP server. */
  HTTP: 4,
  /** A plain WebSocket server. */
  WEBSOCKET: 5,
  /** Engine.IO v3 (Socket.IO 2.x). */
  ENGINE_IO_V3: 6,
  /** Engine.IO v4 (or an Engine.IO server) on which no transport works: handshake refused, sessions lost. */
  UNUSABLE: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ProbeStatus = "ok" | "failed" | "skipped";

/** One transport's verdict. */
export interface TransportReport {
  status: ProbeStatus;
  /** One sentence: what was done and what came back. */
  detail: string;
  /** The HTTP status of the answer, when there was one (101 for a WebSocket that opened). */
  httpStatus?: number;
}

export type Level = "info" | "warning" | "error";

/** Something worth telling, with a stable code for scripts. */
export interface Finding {
  level: Level;
  code: FindingCode;
  message: string;
}

export type FindingCode =
  | "NOTHING_LISTENING"
  | "NOT_ENGINE_IO"
  | "PLAIN_WEBSOCKET"
  | "ENGINE_IO_V3"
  | "HANDSHAKE_REFUSED"
  | "POLLING_FAILED"
  | "WEBSOCKET_BLOCKED"
  | "WEBSOCKET_NOT_OFFERED"
  | "UPGRADE_FAILED"
  | "FOUND_AT_OTHER_PATH"
  | "URL_PATH_IS_NAMESPACE"
  | "NO_MAX_PAYLOAD"
  | "SESSION_NOT_CLOSED";

/** Round-trip and handshake times, in milliseconds (see README "What is measured"). */
export interface Timings {
  /** GET …?EIO=4&transport=polling: request sent → whole open packet received, TCP (and TLS) connect included. */
  pollingHandshakeMs?: number;
  /** POST of a noop packet `6` on the handshake's kept-alive connection → its `ok`; median of the samples. */
  postRttMs?: number;
  postRttSamplesMs?: number[];
  /** WebSocket handshake (…&transport=websocket): request sent → 101 received. */
  websocketOpenMs?: number;
  /** Same WebSocket: request sent → open packet received. */
  websocketHandshakeMs?: number;
  /** Upgrade probe: `2probe` sent → `3probe` received, an Engine.IO ping/pong round trip over WebSocket. */
  probeRttMs?: number;
}

/** Everything the doctor found; `--json` prints it as is. */
export interface Report {
  url: string;
  /** The engine path the findings are about (the one that answered, when a second path was tried). */
  path: string;
  triedPaths: string[];
  kind: Kind;
  /** One line: what is there. */
  summary: string;
  healthy: boolean;
  exitCode: ExitCode;
  /** The code Duplex's engine client would report on connecting here, if it fails (packages/engine/CLIENT.md "Errors"). */
  clientErrorCode: "NOT_ENGINE_IO" | "UNSUPPORTED_PROTOCOL_VERSION" | "HANDSHAKE_ERROR" | "TRANSPORT_ERROR" | null;
  handshake: (Handshake & { sidLength: number }) | null;
  transports: { polling: TransportReport; websocket: TransportReport; upgrade: TransportReport };
  timings: Timings;
  findings: Finding[];
  /** What to do about it, when something is wrong. */
  advice: string[];
  /** Sessions opened and closed with a close packet. */
  sessionsClosed: number;
}
