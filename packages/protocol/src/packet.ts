// Socket.IO protocol v5 packets: the types, and the payload rules both the
// decoder and the parser seam check.
// Spec: https://github.com/socketio/socket.io-protocol (v5, "Packet format").

// No runtime import: esbuild inlines a module's constants into the modules that
// import them only when the module itself imports nothing, so this file stays a leaf.
import type { Binary } from "./binary";

// The type numbers as plain constants: esbuild inlines them into every module
// that imports them, where `PacketType.EVENT` stays a property lookup.
export const CONNECT = 0;
export const DISCONNECT = 1;
export const EVENT = 2;
export const ACK = 3;
export const CONNECT_ERROR = 4;
export const BINARY_EVENT = 5;
export const BINARY_ACK = 6;

/**
 * Packet type numbers, as written in the first character of a packet.
 *
 * @example
 * ```ts
 * const packet: Packet = { type: PacketType.EVENT, nsp: "/", data: ["hello"] };
 * ```
 */
export const PacketType = { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK } as const;

/** One of the seven packet type numbers. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** A JSON object payload (CONNECT auth / handshake, CONNECT_ERROR details). */
export type PayloadObject = Record<string, unknown>;

/** Arguments of an event: the event name (or, as Socket.IO accepts, a number) first. */
export type EventData = [event: string | number, ...args: unknown[]];

/** `0`: join a namespace; the client may send auth data, the server answers `{ sid }`. */
export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  nsp: string;
  data?: PayloadObject;
}

/** `1`: leave a namespace. Carries no payload. */
export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  nsp: string;
}

/** `2`: an event; with `id`, the sender expects an ACK carrying the same id. */
export interface EventPacket {
  type: typeof PacketType.EVENT;
  nsp: string;
  id?: number;
  data: EventData;
}

/** `3`: the answer to an event that carried an ack id. */
export interface AckPacket {
  type: typeof PacketType.ACK;
  nsp: string;
  id: number;
  data: unknown[];
}

/** `4`: the server refused a namespace join (`{ message, data? }`; a bare string in older peers). */
export interface ConnectErrorPacket {
  type: typeof PacketType.CONNECT_ERROR;
  nsp: string;
  data: string | PayloadObject;
}

/**
 * `5`: an event whose arguments contain binary values. The encoder produces
 * this type on its own when an EVENT carries binary; decoders report it as an
 * EVENT with the binaries put back in place.
 */
export interface BinaryEventPacket {
  type: typeof PacketType.BINARY_EVENT;
  nsp: string;
  id?: number;
  data: EventData;
}

/** `6`: an ACK whose arguments contain binary values (see {@link BinaryEventPacket}). */
export interface BinaryAckPacket {
  type: typeof PacketType.BINARY_ACK;
  nsp: string;
  id: number;
  data: unknown[];
}

/** Every Socket.IO v5 packet, discriminated on `type`. */
export type Packet =
  | ConnectPacket
  | DisconnectPacket
  | EventPacket
  | AckPacket
  | ConnectErrorPacket
  | BinaryEventPacket
  | BinaryAckPacket;

/**
 * What a decoder reports: binary packets arrive as EVENT / ACK with their
 * attachments already in place, as socket.io-parser reports them.
 */
export type DecodedPacket = ConnectPacket | DisconnectPacket | EventPacket | AckPacket | ConnectErrorPacket;

/** One message on the wire: a packet's text part or one of its attachments. */
export type WireChunk = string | Binary;

/**
 * Event names Socket.IO reserves for its own use. The decoder does not reject
 * them (socket.io-parser 4.2.x does): refusing `disconnect` sent by a peer is the
 * server's and the client's policy, and they use {@link isReservedEvent} for it.
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/**
 * Whether `name` is an event name that Socket.IO reserves.
 *
 * @example
 * ```ts
 * if (isReservedEvent(packet.data[0])) socket.disconnect();
 * ```
 */
export function isReservedEvent(name: unknown): boolean {
  return typeof name === "string" && RESERVED_EVENTS.has(name);
}

/** A non-null, non-array object: what JSON calls an object. */
export function isPayloadObject(value: unknown): value is PayloadObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `id` can be an ack id: a non-negative safe integer. */
export function isAckId(id: unknown): id is number {
  // isSafeInteger is false for anything but a number: no typeof check needed.
  return Number.isSafeInteger(id) && (id as number) >= 0;
}

/**
 * Whether a payload keeps the rules of its packet type. `type` is 0 to 4:
 * BINARY_EVENT and BINARY_ACK follow the rules of EVENT and ACK (type - 3).
 */
export function validPayload(type: number, data: unknown): boolean {
  switch (type) {
    case CONNECT:
      return data === undefined || isPayloadObject(data);
    case DISCONNECT:
      return data === undefined;
    case EVENT: {
      // The event name; an empty array has none.
      const name: unknown = Array.isArray(data) && data[0];
      return typeof name === "string" || typeof name === "number";
    }
    case ACK:
      return Array.isArray(data);
    default: // CONNECT_ERROR
      return typeof data === "string" || isPayloadObject(data);
  }
}

/** What each packet type's payload must be, by type number (for error messages). */
export const EXPECTED_PAYLOAD = [
  "no payload or a JSON object",
  "no payload",
  "a non-empty array whose first element (the event name) is a string or a number",
  "an array",
  "a string or a JSON object",
];

/**
 * Type guard for packets that did not come from Duplex's own decoder (for
 * example from a plugged-in msgpack parser): checks the type, namespace, ack
 * id and payload rules, and accepts BINARY_EVENT / BINARY_ACK too.
 * Binary values in the payload are accepted as they are.
 *
 * @example
 * ```ts
 * if (isPacket(value)) encoder.encode(value);
 * ```
 */
export function isPacket(value: unknown): value is Packet {
  if (!isPayloadObject(value)) return false;
  const { type, nsp, id } = value;
  if (typeof type !== "number" || !(type >= 0 && type <= 6) || !Number.isInteger(type)) return false;
  if (typeof nsp !== "string" || nsp.charCodeAt(0) !== 0x2f /* "/" */) return false;
  const plain = type > CONNECT_ERROR ? type - 3 : type;
  if (id === undefined ? plain === ACK : (plain !== EVENT && plain !== ACK) || !isAckId(id)) return false;
  return validPayload(plain, value.data);
}
