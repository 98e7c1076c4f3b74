// Sticky sessions for Node's `cluster` module on one machine. HTTP
// long-polling sends each request of a session on its own HTTP request, and
// only the worker that created the session knows its sid; the operating
// system's round-robin would spread them. So the primary accepts the TCP
// connections itself, reads the first bytes of the request line for `sid=`,
// and hands the socket (and those bytes) to the worker owning that sid;
// handshakes (no sid yet) go round-robin. Workers tell the primary which sids
// they own. Workers share broadcasts through the Redis adapter.
//
// Workers whose adapter forwards requests (forwardRequests) need no sticky
// router at all; with this one too, each tells its tag (the start of every
// sid it opens) along with its sids, and the primary routes by tag: a sid of
// a known worker goes to it even before its own announcement, and any other
// sid (another machine's, or one of a worker that has not told its tag yet)
// goes to any worker at once, which forwards it.
import cluster, { type Worker } from "node:cluster";
import type { Server as HttpServer } from "node:http";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { RequestForwarder } from "./forwarding";
import { TAG_LENGTH } from "./node-directory";

const CONNECTION = "duplex:sticky:connection";
const OWN = "duplex:sticky:own";
const DROP = "duplex:sticky:drop";

interface StickyMessage {
  type: typeof CONNECTION | typeof OWN | typeof DROP;
  sid?: string;
  /** With OWN, from a worker that forwards requests: the tag its sids start with. */
  tag?: string;
  data?: string;
}

/** The sid in a request's first line (`GET /socket.io/?EIO=4&transport=polling&sid=… HTTP/1.1`). */
export function sidOf(head: Buffer): string | undefined {
  const end = head.indexOf("\r\n");
  const line = head.toString("latin1", 0, end < 0 ? Math.min(head.length, 8192) : end);
  return /[?&]sid=([\w-]+)/.exec(line)?.[1];
}

export interface PrimaryOptions {
  /**
   * ms a request for a sid not yet announced by its worker waits for the
   * announcement. Default 1000. Not waited once the workers forward
   * requests: a sid is then routed by its tag.
   */
  unknownSidWait?: number;
}

/**
 * Call in the primary: returns a TCP server to `listen()` on the public port.
 * Each connection goes to the worker owning the sid of its first request.
 *
 * @example
 * import cluster from "node:cluster";
 * import { setupPrimary, setupWorker } from "@duplex/redis-adapter";
 * if (cluster.isPrimary) {
 *   setupPrimary().listen(3000);
 *   for (let i = 0; i < 4; i++) cluster.fork();
 * } else {
 *   const http = createServer();
 *   const io = new Server(http, { adapter: createAdapter(pub, sub) });
 *   setupWorker(io); // no listen(): connections arrive from the primary
 * }
 */
export function setupPrimary(opts: PrimaryOptions = {}): NetServer {
  const owners = new Map<string, Worker>();
  // Each forwarding worker's tag: every sid it opens starts with it.
  const tagOwners = new Map<string, Worker>();
  // Every connection waiting for a sid's announcement: a client's first poll
  // and its CONNECT (a POST) go out at once, so two can wait for one sid.
  const waiting = new Map<string, Set<(worker: Worker) => void>>();
  const unknownSidWait = opts.unknownSidWait ?? 1000;
  let next = 0;

  cluster.on("message", (worker: Worker, msg: StickyMessage) => {
    if (msg?.type === OWN && msg.sid) {
      owners.set(msg.sid, worker);
      if (typeof msg.tag === "string" && msg.tag.length === TAG_LENGTH) tagOwners.set(msg.tag, worker);
      const waiters = waiting.get(msg.sid);
      waiting.delete(msg.sid);
      for (const handTo of waiters ?? []) handTo(worker);
    } else if (msg?.type === DROP && msg.sid && owners.get(msg.sid) === worker) {
      owners.delete(msg.sid);
    }
  });
  cluster.on("exit", (worker: Worker) => {
    for (const [sid, owner] of owners) if (owner === worker) owners.delete(sid);
    for (const [tag, owner] of tagOwners) if (owner === worker) tagOwners.delete(tag);
  });

  const roundRobin = (): Worker | undefined => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    if (workers.length === 0) return undefined;
    next = (next + 1) % workers.length;
    return workers[next];
  };

  const handOver = (socket: Socket, head: Buffer, worker: Worker | undefined) => {
    if (worker === undefined) return socket.destroy();
    const msg: StickyMessage = { type: CONNECTION, data: head.toString("base64") };
    worker.send(msg, socket, (err) => err && socket.destroy());
  };

  return createServer({ pauseOnConnect: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    socket.once("data", (head: Buffer) => {
      socket.pause();
      const sid = sidOf(head);
      if (sid === undefined) return handOver(socket, head, roundRobin());
      const owner = owners.get(sid) ?? tagOwners.get(sid.slice(0, TAG_LENGTH));
      if (owner !== undefined) return handOver(socket, head, owner);
      // The workers forward: whichever worker gets a sid of none of the known tags passes it on.
      if (tagOwners.size > 0) return handOver(socket, head, roundRobin());
      // The worker's announcement may still be on its way (it races the handshake response).
      const waiters = waiting.get(sid) ?? new Set<(worker: Worker) => void>();
      const handTo = (worker: Worker) => {
        clearTimeout(timer);
        handOver(socket, head, worker);
      };
      const timer = setTimeout(() => {
        waiters.delete(handTo);
        if (waiters.size === 0) waiting.delete(sid);
        handOver(socket, head, roundRobin());
      }, unknownSidWait);
      waiters.add(handTo);
      waiting.set(sid, waiters);
    });
    socket.resume();
  });
}

/** What {@link setupWorker} needs of the Duplex server. */
export interface StickyServer {
  readonly httpServer: HttpServer | undefined;
  readonly engine: {
    /** Set by the Redis adapter when it forwards requests. */
    readonly forwarder?: unknown;
    on(event: "connection", listener: (conn: { id: string; once(event: "close", listener: () => void): unknown }) => void): unknown;
  };
}

/**
 * Call in each worker with its Duplex server (attached to an HTTP server that
 * does not listen): takes the connections the primary hands over, and
 * announces each session's sid. Polling responses close their connection
 * (`Connection: close`), so the primary routes every request by its own sid
 * (a kept-alive connection could carry another session's requests).
 */
export function setupWorker(io: StickyServer): () => void {
  const http = io.httpServer;
  if (http === undefined) throw new Error("setupWorker(io): io must be attached to an HTTP server");
  const onMessage = (msg: StickyMessage, handle: unknown) => {
    if (msg?.type !== CONNECTION || handle === undefined) return;
    const socket = handle as Socket;
    http.emit("connection", socket);
    // As @socket.io/sticky does: the parser reads this as if it came from the socket.
    socket.emit("data", Buffer.from(msg.data ?? "", "base64"));
    socket.resume();
  };
  const onRequest = (_req: unknown, res: { shouldKeepAlive: boolean }) => {
    res.shouldKeepAlive = false;
  };
  process.on("message", onMessage);
  http.prependListener("request", onRequest);
  io.engine.on("connection", (conn) => {
    const forwarder = io.engine.forwarder;
    const tag = forwarder instanceof RequestForwarder ? forwarder.tag : undefined;
    process.send?.({ type: OWN, sid: conn.id, tag } satisfies StickyMessage);
    conn.once("close", () => process.send?.({ type: DROP, sid: conn.id } satisfies StickyMessage));
  });
  return () => {
    process.off("message", onMessage);
    http.off("request", onRequest);
  };
}
