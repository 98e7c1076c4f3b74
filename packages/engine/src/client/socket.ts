import { payloadLength, type Packet, type RawData } from "./codec";
import { pollingWorks, probe, unanswered } from "./diagnose";
import { Emitter } from "./emitter";
import { EngineClientError, failure } from "./errors";
import { diagnoses, failed, worked } from "./fallback";
import type { SocketOptions, TransportName } from "./options";
import { clock, type BinaryType, type Clock, type Platform } from "./platform";
import { PollingTransport } from "./transports/polling";
import type { Transport, TransportOwner } from "./transports/transport";
import { WebSocketTransport } from "./transports/websocket";
import { endpoint, transportUrl } from "./url";

export type ReadyState = "opening" | "open" | "closing" | "closed";
/** engine.io-client's close reasons. */
export type CloseReason = "transport close" | "transport error" | "ping timeout" | "forced close" | "parser error";

/** The open packet's content (engine.io-protocol v4, "Handshake"). */
export interface HandshakeData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  /** Bytes per polling body the server accepts (engine.io ≥ 6.1; older v4 servers omit it). */
  maxPayload?: number;
}

export interface SendOptions {
  /** Accepted for engine.io-client compatibility; browsers decide compression themselves. */
  compress?: boolean;
}

export interface SocketEvents {
  handshake: [data: HandshakeData];
  open: [];
  /** A message from the server: a string, or binary as `binaryType` says. */
  message: [data: RawData];
  /** The same as "message" (Socket.IO's Manager listens to "data"). */
  data: [data: RawData];
  packet: [packet: Packet];
  ping: [];
  upgrading: [transport: Transport];
  upgrade: [transport: Transport];
  upgradeError: [err: EngineClientError];
  /** The write buffer is empty. */
  drain: [];
  /** A packet is queued to leave (a message, or the pong of a ping). */
  packetCreate: [packet: Packet];
  /** Queued packets were handed to the transport. */
  flush: [];
  /** A packet arrived from the server: the session is alive. */
  heartbeat: [];
  error: [err: EngineClientError];
  close: [reason: CloseReason, description?: EngineClientError];
}

/** A packet waiting to leave, with the callback to run once it has. */
type Outgoing = Packet & { cb?: () => void };

/**
 * How far an upgrade went (engine.io-protocol v4, "Upgrade"):
 *
 *   opening ──open──▶ probing (sent 2probe) ──3probe──▶ pausing ──polling paused──▶ upgraded (sent 5)
 *      │                  │                              │
 *      └──── error, close, another packet, no 3probe in time ──▶ failed
 *
 * (The time limits are the WebSocket transport's: see transports/websocket.ts.)
 *
 * While probing, the session goes on over polling. Once the probe is
 * answered, polling pauses: its pending GET comes back (the server answers it
 * at once, with a noop or what it had buffered) and its pending POST ends, so
 * every packet either went over polling or waits in the write buffer; then
 * `5` goes over the WebSocket, which becomes the transport, and the buffer
 * flushes over it. Nothing is lost, duplicated or reordered. "upgraded" and
 * "failed" are no state of their own: the probe is dropped.
 */
type UpgradeState = "opening" | "probing" | "pausing";

/**
 * An Engine.IO v4 client session, shaped like engine.io-client 6's `Socket`
 * so that a Socket.IO Manager can sit on it. Construct it through the
 * package entry (`Socket` of `@duplex/engine/client`), which supplies the
 * platform.
 */
export class BaseSocket extends Emitter<SocketEvents> implements TransportOwner {
  /** The session id, once open. */
  id: string | null = null;
  readyState: ReadyState = "opening";
  /** The current transport (`transport.name`: "polling" | "websocket"). */
  declare transport: Transport;
  /** Transports the server offers to upgrade to, that this client may use. */
  upgrades: string[] = [];
  // Set by the constructor: `declare` keeps the compiler from emitting empty field definitions too.
  declare binaryType: BinaryType;
  declare readonly opts: SocketOptions;
  declare readonly platform: Platform;
  /** The endpoint's http(s) URL, with the query of every request (url.ts). */
  #base: URL;
  /** Origin and path: names the endpoint in the transport memory (fallback.ts). */
  #key: string;
  /**
   * The session's timers: the `clock` option, or in Node the one
   * `autoUnref` / `useNativeTimers` ask for (the Socket.IO Manager uses them too).
   */
  declare readonly clock: Clock;
  /** Packets waiting to leave, with their callbacks; the first `#sent` are in flight. */
  #wb: Outgoing[] = [];
  #sent = 0;
  #maxPayload = 0;
  /** Heartbeat watchdog: when the last packet arrived, the silence allowed, its one timer (see `#watch`). */
  #seen = 0;
  #silence = 0;
  #timer: unknown;
  /** The WebSocket probed for an upgrade, and how far the probe went. */
  #probe?: Transport;
  #upgrade?: UpgradeState;
  /** Transports left to try for the first connection. */
  #todo: TransportName[];
  #wsFailed = false;
  /** A polling request of this connection got no answer at all. */
  #pollingFailed = false;
  /** Packets that arrived while the open packet is checked. */
  #held?: Packet[];
  #unload?: () => void;

  constructor(uri: string | SocketOptions | undefined, opts: SocketOptions | undefined, platform: Platform) {
    super();
    if (uri && typeof uri == "object") [uri, opts] = [undefined, uri];
    const o = (this.opts = opts || {});
    this.platform = platform;
    this.binaryType = platform.binaryType;
    this.clock = o.clock || clock;
    const base = (this.#base = endpoint(platform.resolve(uri), o));
    const key = (this.#key = base.origin + base.pathname);
    let list = o.transports || ["polling", "websocket"];
    if (o.retryWebSocket) failed.delete(key);
    if (failed.has(key) && list[1]) list = list.filter((t) => t != "websocket");
    if (o.rememberUpgrade && worked.has(key) && list.includes("websocket")) list = ["websocket", ...list.filter((t) => t != "websocket")];
    this.#todo = list.slice();
    if (o.closeOnBeforeunload && typeof addEventListener == "function") {
      addEventListener("beforeunload", (this.#unload = () => this.transport.close()));
    }
    this.#next();
  }

  /** @internal */
  url(t: TransportName): string {
    return transportUrl(this.#base, t, this.id, this.opts);
  }

  /**
   * Sends a message (string or binary); `cb` runs once it has left.
   * @example socket.send("hello"); socket.send(new Uint8Array([1, 2]), () => console.log("sent"));
   */
  send(data: RawData, opts?: SendOptions | (() => void), cb?: () => void): this {
    this.#packet({ type: "message", data, cb: typeof opts == "function" ? opts : cb });
    return this;
  }

  /** Alias of `send`. */
  write(data: RawData, opts?: SendOptions | (() => void), cb?: () => void): this {
    return this.send(data, opts, cb);
  }

  /** Closes the session once the write buffer has left ("forced close"). */
  close(): this {
    const s = this.readyState;
    if (s == "opening" || s == "open") {
      this.readyState = "closing";
      if (s == "open" && this.#wb.length) this.once("drain", () => this.#end("forced close"));
      else this.#end("forced close");
    }
    return this;
  }

  // TransportOwner: what the transports report.

  /** @internal */
  onPacket(p: Packet, t: Transport): void {
    if (t != this.transport) return this.#probed(p, t);
    if (this.readyState == "closed") return;
    if (this.#held) return void this.#held.push(p);
    this.emit("packet", p);
    // engine.io-client's sign of life: any packet from the server.
    this.emit("heartbeat");
    this.#seen = this.clock.now();
    const d = p.data as RawData;
    if (p.type == "open") {
      if (!this.id) this.#handshake(JSON.parse(d as string));
    } else if (p.type == "ping") {
      this.#packet({ type: "pong" });
      this.emit("ping");
    } else if (p.type == "message") {
      this.emit("data", d);
      this.emit("message", d);
    } else if (p.type == "close") this.#end("transport close");
  }

  /** @internal */
  onDrain(t: Transport): void {
    if (t != this.transport) {
      // The probe opened: Engine.IO v4 "Upgrade" starts with 2probe.
      if (t == this.#probe && this.#upgrade == "opening") {
        this.#upgrade = "probing";
        t.send([{ type: "ping", data: "probe" }]);
      }
      return;
    }
    const sent = this.#sent;
    if (sent) for (const p of this.#wb.splice(0, sent)) p.cb?.();
    this.#sent = 0;
    // A drain with nothing of ours in flight (the `5` of an upgrade) may still
    // find packets that waited for the transport: send them now. The upgrade's
    // drain counts as one, as in engine.io-client; a WebSocket that just
    // opened a session (no id yet) does not.
    if (this.#wb.length) this.#flush();
    else if (sent || this.id) this.emit("drain");
  }

  /** @internal */
  onTransportClose(t: Transport, err?: EngineClientError, soft?: boolean): void {
    if (t != this.transport) return t == this.#probe ? this.#dropProbe(err ? err.message : "closed") : undefined;
    if (this.readyState == "closed") return;
    if (this.id || this.#held) return err ? this.#fail(err) : this.#end("transport close");
    // Not open yet. Nothing heard from the endpoint: try the next transport.
    const ws = soft && this.transport.name == "websocket";
    if (ws) this.#wsFailed = true;
    else if (soft) this.#pollingFailed = true;
    if (soft && this.#todo.length) return this.#next();
    err ||= new EngineClientError("TRANSPORT_ERROR", !globalThis.__DUPLEX_TERSE__ && "closed before the handshake");
    if (!soft) return this.#fail(err);
    // A WebSocket was the last hope: ask over HTTP what the endpoint is. Not
    // where a WebSocket opened before (one that fails now met a server that
    // is down or restarting, not a proxy), nor when polling went unanswered
    // in this very attempt.
    if (ws && !this.#pollingFailed && !worked.has(this.#key)) {
      this.#diagnose().then((result) => {
        if (this.readyState !== "opening") return;
        if (result === null) this.#fail(pollingWorks(err));
        else this.#fail(result || unanswered(err));
      });
      return;
    }
    this.#fail(unanswered(err));
  }

  /** A packet on the probe: `3probe` pauses polling, then `5` switches; anything else fails the upgrade. */
  #probed(p: Packet, t: Transport): void {
    if (t != this.#probe) return;
    if (this.#upgrade != "probing" || p.type != "pong" || p.data != "probe") {
      return this.#dropProbe(`${p.type} packet while ${this.#upgrade}`);
    }
    this.#upgrade = "pausing";
    this.emit("upgrading", t);
    const polling = this.transport as PollingTransport;
    polling.pause(() => {
      if (t != this.#probe) return;
      t.send([{ type: "upgrade" }]);
      polling.close(false);
      this.#probe = this.#upgrade = undefined;
      this.transport = t;
      this.#worked();
      this.emit("upgrade", t);
      this.#flush();
    });
  }

  /** Ends an upgrade attempt; `why` is told as "upgradeError" and polling goes on, none (the session closed) to nobody. */
  #dropProbe(why?: string): void {
    const t = this.#probe;
    if (!t) return;
    this.#probe = this.#upgrade = undefined;
    t.close();
    if (why) {
      failed.add(this.#key);
      this.emit("upgradeError", failure("TRANSPORT_ERROR", "upgrade probe failed", why));
      (this.transport as PollingTransport).resume();
      this.#flush();
    }
  }

  /**
   * Asks over HTTP what the endpoint is (see `probe`), once per endpoint in
   * this page or process: later calls share the answer (fallback.ts).
   */
  #diagnose(): Promise<EngineClientError | null | undefined> {
    const key = this.#key;
    let diagnosis = diagnoses.get(key);
    if (diagnosis === undefined) {
      diagnosis = probe(this.url("polling"), this.opts.extraHeaders);
      diagnoses.set(key, diagnosis);
    }
    return diagnosis;
  }

  #next(): void {
    const name = this.#todo.shift();
    this.transport = name == "websocket" ? new WebSocketTransport(this) : new PollingTransport(this);
  }

  #worked(): void {
    worked.add(this.#key);
    failed.delete(this.#key);
  }

  #handshake(d: HandshakeData): void {
    // Engine.IO v3 servers and v4 ones older than engine.io 6.1 both omit
    // maxPayload; only a v3 one answers a polling handshake with a
    // length-prefixed payload. Ask before opening.
    if (this.transport.name == "websocket" && !d.maxPayload) {
      const held: Packet[] = (this.#held = []);
      this.#diagnose().then((r) => {
        this.#held = undefined;
        if (this.readyState != "opening") return;
        if (r?.code == "UNSUPPORTED_PROTOCOL_VERSION") return this.#fail(r);
        this.#open(d);
        for (const p of held) this.onPacket(p, this.transport);
      });
    } else this.#open(d);
  }

  #open(d: HandshakeData): void {
    const o = this.opts;
    const t = this.transport;
    const key = this.#key;
    this.id = d.sid;
    this.#maxPayload = d.maxPayload || 0;
    if (t.name == "websocket") this.#worked();
    else if (this.#wsFailed) failed.add(key);
    this.upgrades = (d.upgrades || []).filter((u) => u == "websocket" && (o.transports || [u]).includes(u) && !failed.has(key));
    this.emit("handshake", d);
    this.readyState = "open";
    this.emit("open");
    // The silence is counted from the open packet (onPacket noted its time), as the server's pings are.
    this.#watch((this.#silence = d.pingInterval + d.pingTimeout));
    this.#flush();
    if (this.readyState == "open" && t.name == "polling" && o.upgrade !== false && this.upgrades[0]) {
      this.#upgrade = "opening";
      this.#probe = new WebSocketTransport(this);
    }
  }

  /**
   * The heartbeat watchdog (engine.io-protocol v4, "Heartbeat"): the server
   * pings every pingInterval and waits pingTimeout for the pong, so a client
   * that hears nothing for pingInterval + pingTimeout knows the server (or the
   * path to it) is gone. Any packet counts as a sign of life: `onPacket` only
   * records the time, and the one timer re-arms itself for the remainder when
   * it fires early (no timer per packet).
   */
  #watch(ms: number): void {
    const c = this.clock;
    this.#timer = c.setTimeout(() => {
      const left = this.#seen + this.#silence - c.now();
      if (left > 0) this.#watch(left);
      else this.#end("ping timeout", new EngineClientError("PING_TIMEOUT", !globalThis.__DUPLEX_TERSE__ && "server silent for pingInterval + pingTimeout"));
    }, ms);
  }

  #packet(p: Outgoing): void {
    if (this.readyState == "closing" || this.readyState == "closed") return;
    this.emit("packetCreate", p);
    this.#wb.push(p);
    this.#flush();
  }

  #flush(): void {
    const t = this.transport;
    const wb = this.#wb;
    if (this.id && t.writable && !this.#sent && wb[0]) {
      let n = wb.length;
      // Engine.IO v4 "maxPayload": split a polling body the server would refuse.
      if (t.name == "polling" && this.#maxPayload) {
        for (let i = 0, size = 0; i < n; i++) {
          size += payloadLength(wb[i].data);
          if (i && size > this.#maxPayload) n = i;
        }
      }
      this.#sent = n;
      // Transports read type and data only.
      t.send(wb.slice(0, n));
      this.emit("flush");
    }
  }

  #fail(err: EngineClientError): void {
    this.emit("error", err);
    this.#end(err.code == "PARSER_ERROR" ? "parser error" : "transport error", err);
  }

  #end(reason: CloseReason, err?: EngineClientError): void {
    if (this.readyState == "closed") return;
    this.readyState = "closed";
    this.clock.clearTimeout(this.#timer);
    this.#dropProbe();
    this.transport.close();
    if (this.#unload) removeEventListener("beforeunload", this.#unload);
    this.id = null;
    this.#wb = [];
    this.#sent = 0;
    this.emit("close", reason, err);
  }
}
