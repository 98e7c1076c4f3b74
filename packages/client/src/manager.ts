import EventEmitter from "eventemitter3";
import { Socket as Engine, type SocketOptions as EngineOptions } from "@duplex/engine/client";
import { defaultParser, type DecodedPacket, type DecoderLike, type EncoderLike, type Packet, type Parser, type WireChunk } from "@duplex/protocol";
import { Backoff } from "./backoff";
import { Socket, type SocketOptions } from "./socket";

/** socket.io-client's Manager options, with its defaults. */
export interface ManagerOptions extends EngineOptions {
  /** Default "/socket.io". */
  path?: string;
  /** Reconnect after an unexpected close. Default true. */
  reconnection?: boolean;
  /** Attempts before "reconnect_failed". Default Infinity. */
  reconnectionAttempts?: number;
  /** First delay, in ms. Default 1000. */
  reconnectionDelay?: number;
  /** Longest delay, in ms. Default 5000. */
  reconnectionDelayMax?: number;
  /** Jitter, 0..1. Default 0.5. */
  randomizationFactor?: number;
  /** ms for the engine to open before "connect_error" ("timeout"). Default 20000; false for none. */
  timeout?: number | false;
  /** Open on creation. Default true. */
  autoConnect?: boolean;
  /** The packet codec (see @duplex/protocol's Parser). */
  parser?: Parser;
}

export type ManagerReadyState = "opening" | "open" | "closed";

export interface ManagerEvents {
  open: [];
  error: [err: Error];
  close: [reason: string, description?: unknown];
  ping: [];
  packet: [packet: DecodedPacket];
  reconnect_attempt: [attempt: number];
  reconnect: [attempt: number];
  reconnect_error: [err: Error];
  reconnect_failed: [];
}

type Disposer = () => void;

/**
 * One engine session, shared by the sockets of every namespace on the same
 * origin and path (multiplexing), and the reconnection loop: exponential
 * backoff with jitter after an unexpected close.
 *
 * @example
 * const manager = new Manager("https://example.com", { reconnectionDelayMax: 10000 });
 * const chat = manager.socket("/chat");
 * manager.on("reconnect", (attempt) => console.log("back after", attempt, "attempts"));
 */
export class Manager extends EventEmitter<ManagerEvents> {
  engine: Engine | undefined;
  readonly opts: ManagerOptions;
  readonly nsps: Record<string, Socket> = {};
  /** @internal */
  _readyState: ManagerReadyState = "closed";
  /** @internal */
  _reconnecting = false;
  readonly #uri: string;
  readonly #backoff: Backoff;
  readonly #encoder: EncoderLike;
  readonly #parser: Parser;
  #decoder: DecoderLike | undefined;
  #subs: Disposer[] = [];
  #skipReconnect = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnection: boolean;
  #attempts: number;
  #timeout: number | false;

  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.opts = { path: "/socket.io", ...opts };
    this.#uri = uri ?? "";
    const o = this.opts;
    // `||`, not `??`, as socket.io-client: 0 attempts or a 0 ms delay mean the default.
    this.#backoff = new Backoff(o.reconnectionDelay || 1000, o.reconnectionDelayMax || 5000, o.randomizationFactor ?? 0.5);
    this.#reconnection = o.reconnection !== false;
    this.#attempts = o.reconnectionAttempts || Infinity;
    this.#timeout = o.timeout ?? 20000;
    this.#parser = o.parser ?? defaultParser;
    this.#encoder = new this.#parser.Encoder();
    if (o.autoConnect !== false) this.open();
  }

  /** Whether this manager reconnects after an unexpected close; `false` also stops a reconnection under way. */
  reconnection(): boolean;
  reconnection(v: boolean): this;
  reconnection(v?: boolean): boolean | this {
    if (v === undefined) return this.#reconnection;
    if (!(this.#reconnection = v)) this.#skipReconnect = true;
    return this;
  }

  /** Attempts before "reconnect_failed". */
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  reconnectionAttempts(v?: number): number | this {
    return v === undefined ? this.#attempts : ((this.#attempts = v), this);
  }

  /** First reconnection delay, in ms. */
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  reconnectionDelay(v?: number): number | this {
    return v === undefined ? this.#backoff.min : ((this.#backoff.min = v), this);
  }

  /** Longest reconnection delay, in ms. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  reconnectionDelayMax(v?: number): number | this {
    return v === undefined ? this.#backoff.max : ((this.#backoff.max = v), this);
  }

  /** Jitter of the reconnection delay, 0..1. */
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  randomizationFactor(v?: number): number | this {
    return v === undefined ? this.#backoff.jitter : ((this.#backoff.jitter = v), this);
  }

  /** ms for the session to open before "connect_error" ("timeout"); false for none. */
  timeout(): number | false;
  timeout(v: number | false): this;
  timeout(v?: number | false): number | false | this {
    return v === undefined ? this.#timeout : ((this.#timeout = v), this);
  }

  /** Opens the engine session; `fn` learns whether it worked. */
  open(fn?: (err?: Error) => void): this {
    if (this._readyState !== "closed") return this;
    const engine = new Engine(this.#uri, this.opts);
    this.engine = engine;
    this._readyState = "opening";
    this.#skipReconnect = false;
    const onOpen = () => {
      this.#onopen();
      fn?.();
    };
    const onError = (err: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this.emit("error", err);
      if (fn) fn(err);
      else this.#maybeReconnectOnOpen();
    };
    engine.on("open", onOpen);
    engine.on("error", onError);
    this.#subs.push(() => engine.off("open", onOpen), () => engine.off("error", onError));
    const timeout = this.#timeout;
    if (timeout !== false) {
      const timer = setTimeout(() => {
        onError(Object.assign(new Error("timeout"), { code: "CONNECT_TIMEOUT" }));
        engine.close();
      }, timeout);
      this.#subs.push(() => clearTimeout(timer));
    }
    return this;
  }

  /** Alias of `open`. */
  connect(fn?: (err?: Error) => void): this {
    return this.open(fn);
  }

  /** The socket for namespace `nsp`, created on first use. */
  socket(nsp: string, opts?: Partial<SocketOptions>): Socket {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this.opts.autoConnect !== false && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /** A socket became inactive; the session closes once none is active. @internal */
  _destroy(_socket: Socket): void {
    for (const nsp of Object.keys(this.nsps)) if (this.nsps[nsp].active) return;
    this._close();
  }

  /** Encodes and writes a packet. @internal */
  _packet(packet: Packet, compress?: boolean): void {
    const chunks: WireChunk[] = this.#encoder.encode(packet);
    const options = compress === false ? { compress: false } : undefined;
    for (const chunk of chunks) this.engine?.write(chunk as string | ArrayBuffer | ArrayBufferView, options);
  }

  /** Closes the session and stops reconnecting. @internal */
  _close(): void {
    this.#skipReconnect = true;
    this._reconnecting = false;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#onclose("forced close");
  }

  /** The server broke the protocol: the session ends with "parse error" (and reconnects). @internal */
  _parseError(): void {
    this.#onclose("parse error");
  }

  /** Alias of `_close`, as socket.io-client has it. */
  disconnect(): void {
    this._close();
  }

  #onopen(): void {
    this.#cleanup();
    this._readyState = "open";
    this.emit("open");
    const engine = this.engine!;
    this.#decoder = new this.#parser.Decoder(
      {
        onPacket: (packet) => this.emit("packet", packet),
        onError: () => this.#onclose("parse error"),
      },
      { maxAttachments: 10 },
    );
    const decoder = this.#decoder;
    const onPing = () => this.emit("ping");
    const onMessage = (data: WireChunk) => decoder.add(data);
    const onError = (err: Error) => this.emit("error", err);
    const onClose = (reason: string, description?: unknown) => this.#onclose(reason, description);
    engine.on("ping", onPing);
    engine.on("message", onMessage);
    engine.on("error", onError);
    engine.on("close", onClose);
    this.#subs.push(
      () => engine.off("ping", onPing),
      () => engine.off("message", onMessage),
      () => engine.off("error", onError),
      () => engine.off("close", onClose),
      () => decoder.destroy(),
    );
  }

  #onclose(reason: string, description?: unknown): void {
    this.#cleanup();
    // The closed engine stays reachable (socket.io.engine), as in socket.io-client.
    this.engine?.close();
    this.#backoff.reset();
    this._readyState = "closed";
    this.emit("close", reason, description);
    if (this.#reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #cleanup(): void {
    const subs = this.#subs;
    this.#subs = [];
    for (const dispose of subs) dispose();
  }

  #maybeReconnectOnOpen(): void {
    if (!this._reconnecting && this.#reconnection && this.#backoff.attempts === 0) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    if (this.#backoff.attempts >= this.#attempts) {
      this.#backoff.reset();
      this.emit("reconnect_failed");
      this._reconnecting = false;
      return;
    }
    const delay = this.#backoff.duration();
    this._reconnecting = true;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#skipReconnect) return;
      this.emit("reconnect_attempt", this.#backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((err) => {
        if (err) {
          this._reconnecting = false;
          this.#reconnect();
          this.emit("reconnect_error", err);
        } else {
          const attempt = this.#backoff.attempts;
          this._reconnecting = false;
          this.#backoff.reset();
          this.emit("reconnect", attempt);
        }
      });
    }, delay);
  }
}
