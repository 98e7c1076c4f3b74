// The messages nodes send each other, typed by message type. They travel in
// the envelope (envelope.ts), whose header is plain JSON: a received header
// is checked here before the adapter reads it, so a malformed message from
// another node (or another program on the same channel) is dropped, never
// thrown into the subscriber's callback.
import type { BroadcastFlags, BroadcastOptions, Room, SocketDetails } from "@duplex/server";
import { MessageType, type Envelope, type Part } from "./envelope";

/** Rooms and flags as they travel: arrays, and only the flags a remote node needs. */
export interface WireTarget {
  r: Room[];
  e: Room[];
  f?: BroadcastFlags;
}

/** A socket as a FETCH_SOCKETS_RESPONSE carries it. */
export interface WireSocket {
  id: string;
  handshake: SocketDetails["handshake"];
  rooms: Room[];
  data: unknown;
}

/**
 * `q`: the sender's sequence number, on the messages that change what
 * clients receive; a receiver drops a number it already had from that sender.
 */
export interface Sequenced {
  q?: number;
}

/** The header of each message type. `req` names the request a message opens or answers. */
export interface Headers {
  [MessageType.INITIAL_HEARTBEAT]: Record<string, never>;
  /** `to`: the node whose INITIAL_HEARTBEAT this answers. */
  [MessageType.HEARTBEAT]: { to?: string };
  [MessageType.ADAPTER_CLOSE]: Record<string, never>;
  /** `c`: how many of the envelope's parts are the encoded packet. */
  [MessageType.BROADCAST]: WireTarget & Sequenced & { c: number };
  [MessageType.BROADCAST_WITH_ACK]: WireTarget & { req: string; d: unknown[] };
  [MessageType.BROADCAST_CLIENT_COUNT]: { req: string; n: number };
  [MessageType.BROADCAST_ACK]: { req: string; a: unknown };
  [MessageType.SOCKETS_JOIN]: WireTarget & Sequenced & { rooms: Room[] };
  [MessageType.SOCKETS_LEAVE]: WireTarget & Sequenced & { rooms: Room[] };
  [MessageType.DISCONNECT_SOCKETS]: WireTarget & Sequenced & { close: boolean };
  [MessageType.FETCH_SOCKETS]: WireTarget & { req: string };
  [MessageType.FETCH_SOCKETS_RESPONSE]: { req: string; s: WireSocket[] };
  /** Without `req`, nobody waits for an answer (and it is numbered); with it, a request. */
  [MessageType.SERVER_SIDE_EMIT]: Sequenced & { a: unknown[]; req?: string };
  [MessageType.SERVER_SIDE_EMIT_RESPONSE]: { req: string; a: unknown };
}

export type WireType = keyof Headers;

/** The messages that change what clients receive: numbered, and kept through a Redis outage. */
export type SequencedType =
  | typeof MessageType.BROADCAST
  | typeof MessageType.SOCKETS_JOIN
  | typeof MessageType.SOCKETS_LEAVE
  | typeof MessageType.DISCONNECT_SOCKETS
  | typeof MessageType.SERVER_SIDE_EMIT;

/** A received message: the discriminated union over `type`. */
export type WireMessage = {
  [T in WireType]: { type: T; uid: string; header: Headers[T]; parts: Part[] };
}[WireType];

/** The answers to a request this node opened. */
export type ResponseMessage = Extract<
  WireMessage,
  { type: typeof MessageType.FETCH_SOCKETS_RESPONSE | typeof MessageType.SERVER_SIDE_EMIT_RESPONSE | typeof MessageType.BROADCAST_CLIENT_COUNT | typeof MessageType.BROADCAST_ACK }
>;

export function toWireTarget(opts: BroadcastOptions): WireTarget {
  const target: WireTarget = { r: [...opts.rooms], e: opts.except ? [...opts.except] : [] };
  const flags = opts.flags;
  if (flags !== undefined && (flags.volatile || flags.compress !== undefined || flags.timeout !== undefined)) {
    target.f = { volatile: flags.volatile, compress: flags.compress, timeout: flags.timeout };
  }
  return target;
}

export function fromWireTarget(target: WireTarget): BroadcastOptions {
  return { rooms: new Set(target.r), except: new Set(target.e), flags: target.f };
}

type Header = Record<string, unknown>;

const isRoomList = (value: unknown): value is Room[] => Array.isArray(value) && value.every((room) => typeof room === "string");
const isTarget = (h: Header): boolean => isRoomList(h.r) && isRoomList(h.e) && (h.f === undefined || (typeof h.f === "object" && h.f !== null));
const isRequestId = (value: unknown): value is string => typeof value === "string";
const isWireSocket = (value: unknown): value is WireSocket =>
  typeof value === "object" && value !== null && typeof (value as WireSocket).id === "string" && isRoomList((value as WireSocket).rooms);

/** What each message type's header must hold. */
const HEADER_CHECKS: { [T in WireType]: (h: Header) => boolean } = {
  [MessageType.INITIAL_HEARTBEAT]: () => true,
  [MessageType.HEARTBEAT]: (h) => h.to === undefined || typeof h.to === "string",
  [MessageType.ADAPTER_CLOSE]: () => true,
  [MessageType.BROADCAST]: (h) => isTarget(h) && typeof h.c === "number",
  [MessageType.BROADCAST_WITH_ACK]: (h) => isTarget(h) && isRequestId(h.req) && Array.isArray(h.d),
  [MessageType.BROADCAST_CLIENT_COUNT]: (h) => isRequestId(h.req) && typeof h.n === "number",
  [MessageType.BROADCAST_ACK]: (h) => isRequestId(h.req),
  [MessageType.SOCKETS_JOIN]: (h) => isTarget(h) && isRoomList(h.rooms),
  [MessageType.SOCKETS_LEAVE]: (h) => isTarget(h) && isRoomList(h.rooms),
  [MessageType.DISCONNECT_SOCKETS]: (h) => isTarget(h) && typeof h.close === "boolean",
  [MessageType.FETCH_SOCKETS]: (h) => isTarget(h) && isRequestId(h.req),
  [MessageType.FETCH_SOCKETS_RESPONSE]: (h) => isRequestId(h.req) && Array.isArray(h.s) && h.s.every(isWireSocket),
  [MessageType.SERVER_SIDE_EMIT]: (h) => Array.isArray(h.a) && (h.req === undefined || isRequestId(h.req)),
  [MessageType.SERVER_SIDE_EMIT_RESPONSE]: (h) => isRequestId(h.req),
};

/** Whether a decoded envelope is a message of a known type with the header that type needs. */
export function isWireMessage(env: Envelope): env is Envelope & WireMessage {
  const check = HEADER_CHECKS[env.type as WireType] as ((h: Header) => boolean) | undefined;
  return check !== undefined && (env.header.q === undefined || Number.isSafeInteger(env.header.q)) && check(env.header);
}

/** The sequence number of a message, when it has one. */
export function sequenceOf(msg: WireMessage): number | undefined {
  return "q" in msg.header ? msg.header.q : undefined;
}
