import { EventEmitter } from "./event-emitter";
import { Socket as Engine, type SocketEvents as EngineEvents, type SocketOptions as EngineOptions } from "@duplex/engine/client";
import { defaultParser, type DecodedPacket, type EncoderLike, type Packet, type Parser } from "@duplex/protocol";
import { Backoff } from "./backoff";
import { listen } from "./listen";
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
  // Declared, not defined: the constructor and open() set them (a class
  // field would be emitted as an extra definition in the bundle).
  declare engine: Engine | undefined;
  declare readonly opts: ManagerOptions;
  readonly nsps: Record<string, Socket> = {};
  /** @internal */
  _readyState: ManagerReadyState = "closed";
  /** @internal */
  _reconnecting = false;
  readonly #uri: string;
  /** Holds the delay settings (min, max, jitter) too. */
  readonly #backoff: Backoff;
  readonly #parser: Parser;
  readonly #encoder: EncoderLike;
  /** What the current engine's teardown undoes: listeners, the open timer, the decoder. */
  #subs: Array<() => void> = [];
  #skipReconnect = false;
  #reconnectTimer: unknown;
  /** The settings of the accessors that are not the backoff's. */
  readonly #settings: { reconnection: boolean; attempts: number; timeout: number | false };

  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    const options = { path: "/socket.io", ...opts };
    this.opts = options;
    this.#uri = uri ?? "";
    // `||`, not `??`, as socket.io-client: 0 attempts or a 0 ms delay mean the default.
    this.#backoff = new Backoff(options.reconnectionDelay || 1000, options.reconnectionDelayMax || 5000, options.randomizationFactor ?? 0.5);
    this.#settings = { reconnection: options.reconnection !== false, attempts: options.reconnectionAttempts || Infinity, timeout: options.timeout ?? 20000 };
    this.#parser = options.parser ?? defaultParser;
    this.#encoder = new this.#parser.Encoder();
    if (options.autoConnect !== false) this.open();
  }

  /** Whether this manager reconnects after an unexpected close; `false` also stops a reconnection under way. */
  reconnection(): boolean;
  reconnection(value: boolean): this;
  reconnection(value?: boolean): boolean | this {
    if (value === false) this.#skipReconnect = true;
    return this.#setting(this.#settings, "reconnection", value);
  }

  /** Attempts before "reconnect_failed". */
  reconnectionAttempts(): number;
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): number | this {
    return this.#setting(this.#settings, "attempts", value);
  }

  /** First reconnection delay, in ms. */
  reconnectionDelay(): number;
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): number | this {
    return this.#setting(this.#backoff, "min", value);
  }

  /** Longest reconnection delay, in ms. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): number | this {
    return this.#setting(this.#backoff, "max", value);
  }

  /** Jitter of the reconnection delay, 0..1. */
  randomizationFactor(): number;
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): number | this {
    return this.#setting(this.#backoff, "jitter", value);
  }

  /** ms for the session to open before "connect_error" ("timeout"); false for none. */
  timeout(): number | false;
  timeout(value: number | false): this;
  timeout(value?: number | false): number | false | this {
    return this.#setting(this.#settings, "timeout", value);
  }

  /** The accessors' one pattern, as socket.io-client's: no argument reads, an argument sets and chains. */
  #setting<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): T[K] | this {
    if (value === undefined) return target[key];
    target[key] = value;
    return this;
  }

  /** Whether `event` has listeners (component-emitter's method, which socket.io-client's Manager has). */
  hasListeners(event: keyof ManagerEvents): boolean {
    return this.listeners(event).length > 0;
  }

  /** Opens the engine session; `fn` learns whether it worked. */
  open(fn?: (err?: Error) => void): this {
    if (this._readyState !== "closed") return this;
    const engine = new Engine(this.#uri, this.opts);
    this.engine = engine;
    this._readyState = "opening";
    this.#skipReconnect = false;
    const onError = (err: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this.emit("error", err);
      if (fn) fn(err);
      // A first open that fails starts the reconnection loop; the loop's own attempts report through fn.
      else if (!this._reconnecting && this.#settings.reconnection && this.#backoff.attempts === 0) this.#reconnect();
    };
    this.#subs.push(
      listen<EngineEvents>(engine, {
        open: () => {
          this.#onopen(engine);
          fn?.();
        },
        error: onError,
      }),
    );
    const timeout = this.#settings.timeout;
    if (timeout !== false) {
      // The engine's timers: in Node, with autoUnref this one does not keep the process alive.
      const timer = engine.clock.setTimeout(() => {
        onError(Object.assign(new Error("timeout"), { code: "CONNECT_TIMEOUT" }));
        engine.close();
      }, timeout);
      this.#subs.push(() => engine.clock.clearTimeout(timer));
    }
    return this;
  }

  /** Alias of `open`. */
  connect(fn?: (err?: Error) => void): this {
    return this.open(fn);
  }

  /** The socket for namespace `nsp`, created on first use. */
  socket(nsp: string, opts?: Partial<SocketOptions>): Socket {
    const socket = this.nsps[nsp];
    if (!socket) {
      const created = new Socket(this, nsp, opts);
      this.nsps[nsp] = created;
      return created;
    }
    if (this.opts.autoConnect !== false && !socket.active) socket.connect();
    return socket;
  }

  /** A socket became inactive; the session closes once none is active. @internal */
  _destroy(_socket: Socket): void {
    if (!Object.values(this.nsps).some((socket) => socket.active)) this._close();
  }

  /** Encodes and writes a packet. @internal */
  _packet(packet: Packet, compress?: boolean): void {
    const options = compress === false ? { compress } : undefined;
    for (const chunk of this.#encoder.encode(packet)) this.engine?.write(chunk as string | ArrayBuffer | ArrayBufferView, options);
  }

  /** Closes the session and stops reconnecting. @internal */
  _close(): void {
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.engine?.clock.clearTimeout(this.#reconnectTimer);
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

  #onopen(engine: Engine): void {
    this.#cleanup();
    this._readyState = "open";
    this.emit("open");
    const decoder = new this.#parser.Decoder(
      {
        onPacket: (packet) => this.emit("packet", packet),
        onError: () => this._parseError(),
      },
      { maxAttachments: 10 },
    );
    this.#subs.push(
      listen<EngineEvents>(engine, {
        ping: () => this.emit("ping"),
        message: (data) => decoder.add(data),
        error: (err) => this.emit("error", err),
        close: (reason, description) => this.#onclose(reason, description),
      }),
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
    if (this.#settings.reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #cleanup(): void {
    for (const dispose of this.#subs.splice(0)) dispose();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    const backoff = this.#backoff;
    if (backoff.attempts >= this.#settings.attempts) {
      backoff.reset();
      this.emit("reconnect_failed");
      return;
    }
    this._reconnecting = true;
    // The last engine's timers (a Manager's engines share its options).
    this.#reconnectTimer = this.engine!.clock.setTimeout(() => {
      if (this.#skipReconnect) return;
      this.emit("reconnect_attempt", backoff.attempts);
      // A "reconnect_attempt" listener may have closed the manager.
      if (this.#skipReconnect) return;
      this.open((err) => {
        this._reconnecting = false;
        if (err) {
          this.#reconnect();
          this.emit("reconnect_error", err);
        } else {
          const attempt = backoff.attempts;
          backoff.reset();
          this.emit("reconnect", attempt);
        }
      });
    }, backoff.duration());
  }
}
