import { PreparedMessage, type CloseReason, type EngineSocket, type SendData } from "@duplex/engine";
import {
  PacketType,
  type DecodedPacket,
  type DecodeError,
  type DecoderHandler,
  type DecoderLike,
  type DecoderOptions,
  type EncoderLike,
  type Packet,
  type Parser,
} from "@duplex/protocol";
import createDebug from "debug";
import type { EncodedChunks, BroadcastFlags } from "./adapter";
import type { DisconnectReason, Socket } from "./socket";
import {
  closeSocket,
  decoderOptions,
  disconnectAll,
  joinNamespace,
  notifyDrain,
  onConnectRefused,
  onInvalidPacket,
  removeSocket,
  reportError,
  resolveNamespace,
  routePacket,
  writeEncoded,
  writePacket,
} from "./internal";
import type { EventsMap } from "@duplex/protocol";

const debug = createDebug("duplex:server:client");

type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;

/** What a Client does with the namespace a CONNECT names: asks to join it. */
interface JoinableNamespace {
  [joinNamespace](client: Client, auth: Record<string, unknown>, onJoined: (socket: AnySocket) => void): Promise<void>;
}

/** What a Client uses of its server (any `Server<…>`): the codec, the connect timeout, namespace lookup. */
export interface ClientHost {
  readonly parser: Parser;
  readonly encoder: EncoderLike;
  readonly [decoderOptions]: DecoderOptions | undefined;
  readonly connectTimeout: number;
  [resolveNamespace](name: string, auth: Record<string, unknown>, done: (nsp: JoinableNamespace | null) => void): void;
}

/**
 * The Client of an engine session. As in `ws`, the session's listeners are
 * defined once (the Client's private static members) and find their Client
 * through this symbol: no bound function per connection.
 */
const kClient = Symbol("duplex:client");

interface Owned {
  [kClient]: Client;
}

function owner(conn: EngineSocket): Client {
  return (conn as unknown as Owned)[kClient];
}

/**
 * One engine session seen from Socket.IO: decodes its messages, joins
 * namespaces on CONNECT, routes packets to the namespace sockets, and writes
 * their packets. A session that joins no namespace within `connectTimeout`
 * is closed. It is its decoder's handler (`onPacket`, `onError`).
 */
export class Client implements DecoderHandler {
  /** Namespace sockets by namespace name. */
  private readonly sockets = new Map<string, AnySocket>();
  /**
   * Namespaces whose CONNECT is being processed (middlewares, recovery);
   * null when there are none, as for almost all of a session's life.
   */
  private joining: Set<string> | null = null;
  /**
   * Namespaces a socket left during the current turn of the event loop.
   * socket.io routes every packet of a payload before any handler runs, so a
   * handler that disconnects its socket makes the packets after it in the
   * same payload go to a disconnected socket, which drops them. Here packets
   * are handled one by one, so those packets are dropped by name instead of
   * being taken for packets sent before CONNECT (which closes the session).
   */
  private leftThisTurn: Set<string> | null = null;
  private readonly decoder: DecoderLike;
  private connectTimer: NodeJS.Timeout | null;
  private closed = false;

  private static connOnMessage(this: EngineSocket, data: string | Buffer): void {
    owner(this).decoder.add(data);
  }
  private static connOnClose(this: EngineSocket, reason: CloseReason, description?: string): void {
    owner(this).onClose(reason, description);
  }
  private static connOnBackpressure(this: EngineSocket, congested: boolean): void {
    owner(this).onBackpressure(congested);
  }

  constructor(
    private readonly server: ClientHost,
    readonly conn: EngineSocket,
  ) {
    this.decoder = new server.parser.Decoder(this, server[decoderOptions]);
    (conn as unknown as Owned)[kClient] = this;
    conn.on("message", Client.connOnMessage);
    conn.on("close", Client.connOnClose);
    conn.on("backpressure", Client.connOnBackpressure);
    this.connectTimer = setTimeout(() => {
      if (this.sockets.size === 0) {
        debug("%s: no namespace joined within connectTimeout, closing", conn.id);
        conn.close();
      }
    }, server.connectTimeout);
  }

  get id(): string {
    return this.conn.id;
  }

  [writePacket](packet: Packet, flags?: BroadcastFlags): void {
    if (!this.writable(flags)) return;
    const encoded = this.server.encoder.encode(packet);
    const options = flags?.compress === false ? NO_COMPRESS : undefined;
    for (let i = 0; i < encoded.length; i++) this.conn.send(encoded[i] as SendData, options);
  }

  /** The first recipient of a broadcast prepares the engine messages, the others reuse them. */
  [writeEncoded](encoded: EncodedChunks, flags?: BroadcastFlags): void {
    if (!this.writable(flags)) return;
    const messages = prepared(encoded);
    const options = flags?.compress === false ? NO_COMPRESS : undefined;
    for (let i = 0; i < messages.length; i++) this.conn.send(messages[i], options);
  }

  private writable(flags: BroadcastFlags | undefined): boolean {
    if (this.conn.readyState !== "open") return false;
    // volatile: drop rather than buffer when the transport cannot take it now,
    // or while the session is congested (more than maxBackpressure waiting)
    return !(flags?.volatile && (!this.conn.transport.writable || this.conn.congested));
  }

  [removeSocket](socket: AnySocket): void {
    if (this.sockets.get(socket.nsp.name) !== socket) return;
    this.sockets.delete(socket.nsp.name);
    if (this.leftThisTurn === null) {
      this.leftThisTurn = new Set();
      process.nextTick(() => (this.leftThisTurn = null));
    }
    this.leftThisTurn.add(socket.nsp.name);
  }

  [onConnectRefused](nsp: string): void {
    this.doneJoining(nsp);
  }

  [disconnectAll](): void {
    for (const socket of [...this.sockets.values()]) socket.disconnect();
    this.closeSession();
  }

  /**
   * The client sent a packet that does not decode (or an event with a
   * reserved name, which socket.io-parser refuses): as socket.io's
   * `Client.onerror`, every socket of the client gets an "error" event with
   * the decoder's error, then the session closes ("forced close"; the
   * description is the error's code and message).
   */
  [onInvalidPacket](err: Error & { code: string }): void {
    if (this.closed) return;
    debug("%s: invalid packet: %s", this.conn.id, err.message);
    for (const socket of [...this.sockets.values()]) socket[reportError](err);
    this.onClose("forced close", `${err.code}: ${err.message}`);
    this.conn.close();
  }

  /**
   * A well-formed packet that makes no sense in the session's state (a
   * second CONNECT, a packet for a namespace not joined, a CONNECT_ERROR
   * from the client): socket.io closes the session, "forced server close".
   */
  private onInvalidState(description: string): void {
    debug("%s: invalid state: %s", this.conn.id, description);
    this.onClose("forced server close", description);
    this.conn.close();
  }

  /** The decoder refused the input (DecoderHandler). */
  onError(err: DecodeError): void {
    this[onInvalidPacket](err);
  }

  /** The decoder made a packet (DecoderHandler). */
  onPacket(packet: DecodedPacket): void {
    if (this.closed) return;
    const name = packet.nsp;
    const socket = this.sockets.get(name);
    if (packet.type === PacketType.CONNECT) {
      if (socket !== undefined || this.isJoining(name)) {
        this.onInvalidState(`second CONNECT to namespace ${name}`);
        return;
      }
      this.connect(name, packet.data ?? {});
    } else if (socket !== undefined && packet.type !== PacketType.CONNECT_ERROR) {
      socket[routePacket](packet);
    } else if (this.leftThisTurn?.has(name)) {
      debug("%s: packet for %s after its socket disconnected, ignored", this.conn.id, name);
    } else if (!this.isJoining(name)) {
      // socket.io closes the session on a packet for a namespace it has not joined.
      this.onInvalidState(`packet of type ${packet.type} for namespace ${name} before CONNECT`);
    }
  }

  private isJoining(name: string): boolean {
    return this.joining !== null && this.joining.has(name);
  }

  private doneJoining(name: string): void {
    if (this.joining === null) return;
    this.joining.delete(name);
    if (this.joining.size === 0) this.joining = null;
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    this.joining ??= new Set();
    this.joining.add(name);
    this.server[resolveNamespace](name, auth, (nsp) => {
      if (this.closed) return;
      if (nsp === null) {
        this.doneJoining(name);
        this[writePacket]({ type: PacketType.CONNECT_ERROR, nsp: name, data: { message: "Invalid namespace" } });
        return;
      }
      void nsp[joinNamespace](this, auth, (socket) => {
        this.doneJoining(name);
        this.sockets.set(name, socket);
        if (this.connectTimer) {
          clearTimeout(this.connectTimer);
          this.connectTimer = null;
        }
      });
    });
  }

  /** The session's buffer fell back under maxBackpressure: every socket of this client may send again. */
  private onBackpressure(congested: boolean): void {
    if (congested) return;
    for (const socket of [...this.sockets.values()]) socket[notifyDrain]();
  }

  private onClose(reason: DisconnectReason, description?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [...this.sockets.values()]) socket[closeSocket](reason, description);
    this.sockets.clear();
    this.joining = null;
    this.decoder.destroy();
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.conn.off("message", Client.connOnMessage);
    this.conn.off("close", Client.connOnClose);
    this.conn.off("backpressure", Client.connOnBackpressure);
  }

  private closeSession(): void {
    if (this.conn.readyState === "open") this.conn.close();
  }
}

const NO_COMPRESS = { compress: false };

const PREPARED = new WeakMap<EncodedChunks, PreparedMessage[]>();

function prepared(encoded: EncodedChunks): PreparedMessage[] {
  let messages = PREPARED.get(encoded);
  if (messages === undefined) {
    messages = encoded.map((chunk) => new PreparedMessage(chunk as SendData));
    PREPARED.set(encoded, messages);
  }
  return messages;
}
