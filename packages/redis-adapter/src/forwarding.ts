// Long-polling across nodes behind a load balancer without sticky sessions.
// Every request of a polling session must reach the node that holds the
// session; a round-robin balancer sends it anywhere. With `forwardRequests`,
// a node that gets a request for a session it does not hold passes it over
// plain HTTP to the node that does, found from the sid (see
// node-directory.ts), and streams the answer back. The session stays where
// it was opened, so packet order, acks, rooms, middlewares and socket.data
// are those of one node. Redis carries only each node's address, a few
// bytes per heartbeat interval: nothing per message.
import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { FORWARDED_HEADER, forwardRequest, relayUpgrade, type ForwardFailure, type ForwardTarget } from "./forward-proxy";
import { listenOnLoopback, LOOPBACK, type LoopbackListener, type PublicServer } from "./loopback";
import { isHttpAddress, NodeDirectory, TAG_LENGTH } from "./node-directory";
import type { RedisClientLike, RedisSubscriberLike } from "./redis";

const debug = createDebug("duplex:redis-adapter:forwarding");

/** The `forwardRequests` option of {@link createAdapter}. */
export interface ForwardRequestsOptions {
  /**
   * Where the other nodes reach this node's HTTP server (the one Duplex is
   * attached to), as `http://host:port`: an address inside the cluster,
   * not the public one. Never sent to clients.
   *
   * `"loopback"` for processes of one machine that share a public port
   * (Node's `cluster` workers): each also listens on a port of its own on
   * 127.0.0.1, serving the same requests, and announces that one.
   */
  address: string;
  /** ms to get a connection to the node holding a session before answering 504. Default 2000. */
  connectTimeout?: number;
}

/** A `forwardRequests` option that cannot work. `code` is stable. */
export class ForwardingError extends Error {
  override name = "ForwardingError";
  constructor(
    readonly code: "INVALID_FORWARD_ADDRESS" | "FORWARDING_WITHOUT_ENGINE" | "FORWARDING_ENGINE_TAKEN" | "LOOPBACK_LISTEN_FAILED",
    message: string,
  ) {
    super(message);
  }
}

/** What the forwarder needs of the engine (`@duplex/engine`'s EngineServer). */
interface ForwardingEngine {
  forwarder: unknown;
  readonly opts: { pingInterval: number; pingTimeout: number };
  emit(event: "connection_error", error: { req: IncomingMessage; code: number; message: string; context: Record<string, unknown> }): boolean;
}

/** The adapter side: its namespace (whose server holds the engine) and its error event. */
interface ForwardingAdapter {
  readonly nsp: object;
  listenerCount(event: "error"): number;
  emit(event: "error", err: Error): boolean;
}

/** The HTTP server the adapter's server is attached to. */
function httpServerOf(adapter: ForwardingAdapter): PublicServer | undefined {
  return (adapter.nsp as { server?: { httpServer?: PublicServer } }).server?.httpServer;
}

function engineOf(adapter: ForwardingAdapter): ForwardingEngine | undefined {
  const server = (adapter.nsp as { server?: { engine?: unknown } }).server;
  const engine = server?.engine;
  return typeof engine === "object" && engine !== null && "forwarder" in engine ? (engine as ForwardingEngine) : undefined;
}

/** The adapter options the forwarder shares: its channel's prefix, and its announcements' rhythm. */
export interface ForwarderSettings {
  key?: string;
  sharded?: boolean;
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
}

/**
 * The engine's SessionForwarder for one `createAdapter(…, { forwardRequests })`:
 * shared by the adapters of every namespace of one server, set on that
 * server's engine by the first of them, and stopped when the last closes.
 */
export class RequestForwarder {
  private readonly directory: NodeDirectory;
  private readonly agent: HttpAgent;
  private readonly connectTimeout: number;
  private readonly adapters = new Set<ForwardingAdapter>();
  private engine: ForwardingEngine | null = null;
  /** The address given, or {@link LOOPBACK}. */
  private readonly address: string;
  private loopback: LoopbackListener | null = null;

  constructor(pub: RedisClientLike, sub: RedisSubscriberLike, opts: ForwardRequestsOptions, settings: ForwarderSettings) {
    if (opts.address !== LOOPBACK && !isHttpAddress(opts.address)) {
      throw new ForwardingError(
        "INVALID_FORWARD_ADDRESS",
        `forwardRequests.address must be an http:// or https:// URL where the other nodes reach this one, or "${LOOPBACK}"; got ${JSON.stringify(opts.address)}`,
      );
    }
    this.address = opts.address;
    this.connectTimeout = opts.connectTimeout ?? 2000;
    const https = opts.address !== LOOPBACK && new URL(opts.address).protocol === "https:";
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.directory = new NodeDirectory(pub, sub, {
      // Namespace channels are `<key>#/<name>#`: this one cannot collide with them.
      channel: `${settings.key ?? "duplex"}#nodes#`,
      sharded: settings.sharded ?? false,
      // The adapter's heartbeat defaults.
      interval: settings.heartbeatInterval ?? 5000,
      timeout: settings.heartbeatTimeout ?? 10_000,
      onError: (err) => this.reportError(err),
    });
  }

  /** How many other nodes this one knows the address of (and can forward to). */
  get nodeCount(): number {
    return this.directory.size;
  }

  /** This node's tag, at the start of the sids it opens. */
  get tag(): string {
    return this.directory.tag;
  }

  /**
   * An adapter of this forwarder was created. Its server's engine exists
   * once the server is attached to its HTTP server, which `new Server(http,
   * …)` does right after creating the adapters: hence the microtask.
   */
  adopt(adapter: ForwardingAdapter): void {
    this.adapters.add(adapter);
    if (this.engine !== null) return this.checkSameEngine(adapter);
    queueMicrotask(() => {
      if (!this.adapters.has(adapter)) return;
      if (this.engine !== null) return this.checkSameEngine(adapter);
      const engine = engineOf(adapter);
      if (engine === undefined) {
        this.reportError(new ForwardingError("FORWARDING_WITHOUT_ENGINE", "forwardRequests: the server has no engine; attach it to its HTTP server when creating it (new Server(httpServer, opts))"));
        return;
      }
      this.start(engine, httpServerOf(adapter));
    });
  }

  /** An adapter closed; the last one stops the forwarding. */
  release(adapter: ForwardingAdapter): Promise<void> {
    this.adapters.delete(adapter);
    if (this.adapters.size > 0 || this.engine === null) return Promise.resolve();
    if (this.engine.forwarder === this) this.engine.forwarder = null;
    this.engine = null;
    this.agent.destroy();
    this.loopback?.close();
    this.loopback = null;
    return this.directory.stop();
  }

  private start(engine: ForwardingEngine, httpServer: PublicServer | undefined): void {
    if (engine.forwarder !== null && engine.forwarder !== undefined) {
      this.reportError(new ForwardingError("FORWARDING_ENGINE_TAKEN", "forwardRequests: this server's engine already forwards for another createAdapter(); use one adapter factory per server"));
      return;
    }
    this.engine = engine;
    engine.forwarder = this;
    debug("forwarding on, tag %s", this.directory.tag);
    if (this.address !== LOOPBACK) {
      void this.directory.start(this.address);
      return;
    }
    // An engine is attached to an HTTP server: the server has one.
    listenOnLoopback(httpServer as PublicServer).then(
      (loopback) => {
        // Released while the port was being opened.
        if (this.engine !== engine) return loopback.close();
        this.loopback = loopback;
        debug("loopback listener at %s", loopback.address);
        void this.directory.start(loopback.address);
      },
      (err: Error) => this.reportError(new ForwardingError("LOOPBACK_LISTEN_FAILED", `forwardRequests: cannot listen on 127.0.0.1: ${err.message}`)),
    );
  }

  private checkSameEngine(adapter: ForwardingAdapter): void {
    const engine = engineOf(adapter);
    if (engine !== undefined && engine !== this.engine) {
      this.reportError(new ForwardingError("FORWARDING_ENGINE_TAKEN", "forwardRequests: one createAdapter() result serves one server; create one per server"));
    }
  }

  ownSid(id: string): string {
    return this.directory.tag + id;
  }

  forwardRequest(req: IncomingMessage, res: ServerResponse, sid: string): boolean {
    const target = this.targetOf(req, sid);
    if (target === undefined) return false;
    forwardRequest(req, res, target, (failure) => this.failed(req, sid, target, failure));
    return true;
  }

  forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, sid: string): boolean {
    const target = this.targetOf(req, sid);
    if (target === undefined) return false;
    relayUpgrade(req, socket, head, target, (failure) => this.failed(req, sid, target, failure));
    return true;
  }

  /** Where `sid` lives, if another node announced it; never for a request forwarded already. */
  private targetOf(req: IncomingMessage, sid: string): ForwardTarget | undefined {
    // Forwarded once and still not here: the owner lost it (or its address went to a new process).
    if (req.headers[FORWARDED_HEADER] !== undefined || this.engine === null) return undefined;
    const tag = sid.slice(0, TAG_LENGTH);
    if (tag === this.directory.tag) return undefined;
    const address = this.directory.addressOf(tag);
    if (address === undefined) return undefined;
    const { pingInterval, pingTimeout } = this.engine.opts;
    return { url: new URL(address), agent: this.agent, via: this.directory.tag, connectTimeout: this.connectTimeout, idleTimeout: pingInterval + pingTimeout };
  }

  /** A forward failed: the engine's "connection_error" says why, as for a request it refused itself. */
  private failed(req: IncomingMessage, sid: string, target: ForwardTarget, failure: ForwardFailure): void {
    // A node that refuses connections is gone: forget it now rather than after heartbeatTimeout.
    if (failure.cause === "ECONNREFUSED") this.directory.forget(sid.slice(0, TAG_LENGTH));
    debug("forward of %s to %s failed: %s", sid, target.url.origin, failure.message);
    this.engine?.emit("connection_error", {
      req,
      code: 1,
      message: "Session ID unknown",
      context: { name: failure.code, sid, owner: target.url.origin, cause: failure.cause, error: failure.message },
    });
  }

  private reportError(err: Error): void {
    const adapter = [...this.adapters].find((a) => a.listenerCount("error") > 0);
    if (adapter !== undefined) adapter.emit("error", err);
    else debug("%s", err.message);
  }
}
