// The envelope every message between nodes travels in: one Buffer, built once
// per message and published as is. Binary-safe without base64 or msgpack:
//
//   0      version (ENVELOPE_VERSION)
//   1      message type (MessageType)
//   2..9   the sending node's uid (8 bytes), so a node drops its own messages
//          by comparing bytes, before parsing anything
//   10..13 header length H (uint32 BE)
//   14..   header: JSON, binary values replaced by {"$duplex_bin": n}
//   then   part count (uint16 BE), and per part: kind (0 text, 1 binary),
//          length (uint32 BE), bytes
//
// A broadcast's parts start with the packet as the server's parser encoded it
// (header.c of them), so receiving nodes write those bytes to their sockets
// without decoding or encoding anything; value attachments follow.

/** Bumped on any incompatible change; a node drops envelopes of another version. */
export const ENVELOPE_VERSION = 1;
export const UID_BYTES = 8;
const HEADER_AT = 2 + UID_BYTES + 4;
const BIN_KEY = "$duplex_bin";

export const MessageType = {
  INITIAL_HEARTBEAT: 1,
  HEARTBEAT: 2,
  ADAPTER_CLOSE: 3,
  BROADCAST: 4,
  BROADCAST_WITH_ACK: 5,
  BROADCAST_CLIENT_COUNT: 6,
  BROADCAST_ACK: 7,
  SOCKETS_JOIN: 8,
  SOCKETS_LEAVE: 9,
  DISCONNECT_SOCKETS: 10,
  FETCH_SOCKETS: 11,
  FETCH_SOCKETS_RESPONSE: 12,
  SERVER_SIDE_EMIT: 13,
  SERVER_SIDE_EMIT_RESPONSE: 14,
  /** Not published: a value kept in Redis (a session, a stored packet). */
  STORED: 15,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** A text or binary part: a packet chunk or a value's attachment. */
export type Part = string | Uint8Array;

export interface Envelope {
  type: MessageType;
  /** The sender's uid, as hex. */
  uid: string;
  header: Record<string, unknown>;
  parts: Part[];
}

function isBinaryValue(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return typeof value === "object" && value !== null && (value instanceof ArrayBuffer || ArrayBuffer.isView(value));
}

/** A packet chunk as a part; a Blob (browser-only data) cannot be sent synchronously. */
export function toPart(chunk: unknown): Part {
  if (typeof chunk === "string") return chunk;
  if (isBinaryValue(chunk)) return asBytes(chunk);
  throw new TypeError("expected the parser to encode to strings and ArrayBuffer views, got a Blob or other value");
}

function asBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Encodes an envelope. `header` may hold binary values anywhere (Buffers,
 * typed arrays, ArrayBuffers): they become parts after `parts`.
 */
export function encodeEnvelope(type: MessageType, uid: Buffer, header: object, parts: readonly Part[] = []): Buffer {
  const all: Part[] = parts.slice();
  const json = JSON.stringify(header, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `this[key]` is the value before toJSON (a Buffer's toJSON would hide it).
    const raw = key === "" ? value : this[key];
    if (isBinaryValue(raw)) {
      all.push(asBytes(raw));
      return { [BIN_KEY]: all.length - 1 };
    }
    return value;
  });
  const headerBytes = Buffer.from(json, "utf8");
  const encodedParts: { kind: number; bytes: Uint8Array }[] = [];
  let size = HEADER_AT + headerBytes.length + 2;
  for (const part of all) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    encodedParts.push({ kind: typeof part === "string" ? 0 : 1, bytes });
    size += 5 + bytes.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = ENVELOPE_VERSION;
  out[1] = type;
  uid.copy(out, 2, 0, UID_BYTES);
  out.writeUInt32BE(headerBytes.length, 2 + UID_BYTES);
  headerBytes.copy(out, HEADER_AT);
  let at = HEADER_AT + headerBytes.length;
  out.writeUInt16BE(encodedParts.length, at);
  at += 2;
  for (const { kind, bytes } of encodedParts) {
    out[at] = kind;
    out.writeUInt32BE(bytes.byteLength, at + 1);
    out.set(bytes, at + 5);
    at += 5 + bytes.byteLength;
  }
  return out;
}

/** Whether `message` was sent by the node whose uid is `uid` (no parsing). */
export function isFrom(message: Buffer, uid: Buffer): boolean {
  return message.length >= HEADER_AT && message.compare(uid, 0, UID_BYTES, 2, 2 + UID_BYTES) === 0;
}

/** Decodes an envelope; null when it is not one of this version or is malformed. */
export function decodeEnvelope(message: Buffer): Envelope | null {
  if (message.length < HEADER_AT + 2 || message[0] !== ENVELOPE_VERSION) return null;
  try {
    const type = message[1] as MessageType;
    const uid = message.toString("hex", 2, 2 + UID_BYTES);
    const headerLength = message.readUInt32BE(2 + UID_BYTES);
    let at = HEADER_AT + headerLength;
    const headerText = message.toString("utf8", HEADER_AT, at);
    const count = message.readUInt16BE(at);
    at += 2;
    const parts: Part[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const kind = message[at];
      const length = message.readUInt32BE(at + 1);
      const start = at + 5;
      at = start + length;
      if (at > message.length) return null;
      // Views, not copies: the message buffer is ours once received.
      parts[i] = kind === 0 ? message.toString("utf8", start, at) : message.subarray(start, at);
    }
    const header = JSON.parse(headerText, (_key, value: unknown) => {
      if (typeof value === "object" && value !== null && BIN_KEY in value) {
        return parts[(value as Record<string, number>)[BIN_KEY]];
      }
      return value;
    }) as Record<string, unknown>;
    return { type, uid, header, parts };
  } catch {
    return null;
  }
}
