// Wire messages → packets, incrementally: a packet's text, then (for binary
// packets) its attachments one message at a time. Everything from the network
// is untrusted: every rule below reports a coded DecodeError through the
// handler; nothing is thrown at the caller.
// Grammar (socket.io-protocol v5, "Packet encoding"):
//   <type 0-6>[<attachments>"-"]["/"<nsp>","][<ack id>][<JSON payload>]

import { findPlaceholders, isBinary, reconstruct, type Binary, type PlaceholderSites } from "./binary";
import { DecodeError, type DecodeErrorCode } from "./errors";
import { exceedsDepth } from "./json-depth";
import {
  EXPECTED_PAYLOAD,
  PacketType,
  describe,
  validPayload,
  type AckPacket,
  type DecodedPacket,
  type EventPacket,
  type WireChunk,
} from "./packet";

/** `JSON.parse`'s reviver function. */
export type JsonReviver = (this: unknown, key: string, value: unknown) => unknown;

/** Receives what a decoder makes of its input. */
export interface DecoderHandler {
  /** A complete packet (binary packets once their last attachment arrived). */
  onPacket(packet: DecodedPacket): void;
  /** Input that breaks a rule; the offending input has been discarded. */
  onError(error: DecodeError): void;
}

/** Options of {@link Decoder}. */
export interface DecoderOptions {
  /** Most attachments one binary packet may announce. Default 10, as socket.io-parser. */
  maxAttachments?: number;
  /** Deepest nesting of arrays and objects in a payload. Default 1000; `Infinity` turns the check off. */
  maxDepth?: number;
  /** Passed to `JSON.parse`. */
  reviver?: JsonReviver;
}

const DIGIT_0 = 0x30;
const DASH = 0x2d;
const SLASH = 0x2f;
const COMMA = 0x2c;
const TYPE_NAMES = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"];
/** Digits of Number.MAX_SAFE_INTEGER (9007199254740991). */
const MAX_SAFE_DIGITS = 16;

interface PendingBinary {
  packet: EventPacket | AckPacket;
  expected: number;
  received: Binary[];
  sites: PlaceholderSites;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_0 + 9;
}

/** Quotes a bit of the input for an error message. */
function excerpt(text: string, from: number): string {
  return from >= text.length ? "the end of the packet" : JSON.stringify(text.slice(from, from + 20) + (text.length > from + 20 ? "…" : ""));
}

/**
 * Incremental, validating Socket.IO v5 decoder. Feed it every message of one
 * engine session in order; it reports packets and errors to its handler.
 *
 * After an error the offending input (and any binary packet it interrupted)
 * is dropped and the decoder is back to idle: it stays usable. A session
 * normally closes anyway (`onError` is the place to do it), as Socket.IO does.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({
 *   onPacket: (packet) => socket.dispatch(packet),
 *   onError: (error) => session.close(error.code),
 * }, { maxAttachments: 10 });
 * decoder.add('51-["file",{"_placeholder":true,"num":0}]');
 * decoder.add(new Uint8Array([1, 2, 3])); // → onPacket({ type: 2, nsp: "/", data: ["file", Uint8Array] })
 * ```
 */
export class Decoder {
  readonly #handler: DecoderHandler;
  readonly #maxAttachments: number;
  readonly #maxDepth: number;
  readonly #reviver: JsonReviver | undefined;
  #pending: PendingBinary | null = null;

  constructor(handler: DecoderHandler, options?: DecoderOptions) {
    this.#handler = handler;
    this.#maxAttachments = options?.maxAttachments ?? 10;
    this.#maxDepth = options?.maxDepth ?? 1000;
    this.#reviver = options?.reviver;
    if (!Number.isSafeInteger(this.#maxAttachments) || this.#maxAttachments < 0) {
      throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `maxAttachments: expected a non-negative integer, got ${this.#maxAttachments}` : "maxAttachments");
    }
    if (!(this.#maxDepth >= 1)) throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `maxDepth: expected a number >= 1, got ${this.#maxDepth}` : "maxDepth");
  }

  /** Attachments the current binary packet still waits for (0 when idle). */
  get awaitingAttachments(): number {
    const p = this.#pending;
    return p === null ? 0 : p.expected - p.received.length;
  }

  /**
   * Feeds one message: a packet's text, or the next attachment of the binary
   * packet being received. Reports through the handler; never throws (except
   * what the handler itself throws).
   */
  add(chunk: WireChunk): void {
    if (typeof chunk === "string") this.#addText(chunk);
    else if (isBinary(chunk)) this.#addAttachment(chunk);
    else this.#fail("INVALID_INPUT", !globalThis.__DUPLEX_TERSE__ && `expected a string or binary data, got ${describe(chunk)}`);
  }

  /** Drops a partially received binary packet. The decoder holds nothing afterwards and may be reused. */
  destroy(): void {
    this.#pending = null;
  }

  /** `message` is false in terse builds (see errors.ts): the error's message is then its code. */
  #fail(code: DecodeErrorCode, message: string | false): void {
    this.#pending = null;
    this.#handler.onError(new DecodeError(code, message));
  }

  #addAttachment(chunk: Binary): void {
    const p = this.#pending;
    if (p === null) {
      this.#fail("UNEXPECTED_ATTACHMENT", !globalThis.__DUPLEX_TERSE__ && "expected a packet's text, got binary data while no binary packet awaits attachments");
      return;
    }
    p.received.push(chunk);
    if (p.received.length < p.expected) return;
    // Idle again before calling out, so a throwing handler leaves clean state.
    this.#pending = null;
    reconstruct(p.sites, p.received);
    this.#handler.onPacket(p.packet);
  }

  #addText(text: string): void {
    if (this.#pending !== null) {
      const awaiting = this.awaitingAttachments;
      this.#fail("ATTACHMENTS_PENDING", !globalThis.__DUPLEX_TERSE__ && `expected ${awaiting} more binary attachment(s), got a text message`);
      return;
    }
    const n = text.length;
    const type = text.charCodeAt(0) - DIGIT_0;
    if (!(type >= 0 && type <= 6)) {
      this.#fail("INVALID_PACKET_TYPE", !globalThis.__DUPLEX_TERSE__ && `expected a packet type digit from 0 to 6, got ${excerpt(text, 0)}`);
      return;
    }
    let i = 1;

    // Attachment count: digits then "-", binary packets only.
    let attachments = 0;
    if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const digits = i - start;
      if (digits === 0 || text.charCodeAt(i) !== DASH) {
        this.#fail("INVALID_ATTACHMENTS", !globalThis.__DUPLEX_TERSE__ && `expected an attachment count followed by "-", got ${excerpt(text, start)}`);
        return;
      }
      if (digits > MAX_SAFE_DIGITS - 1 || (attachments = Number(text.slice(start, i))) > this.#maxAttachments) {
        const got = !globalThis.__DUPLEX_TERSE__ && (digits > 12 ? `a ${digits}-digit number` : text.slice(start, i));
        this.#fail("TOO_MANY_ATTACHMENTS", !globalThis.__DUPLEX_TERSE__ && `expected at most ${this.#maxAttachments} attachments, got ${got}`);
        return;
      }
      if (attachments === 0 || text.charCodeAt(start) === DIGIT_0) {
        this.#fail("INVALID_ATTACHMENTS", !globalThis.__DUPLEX_TERSE__ && `expected an attachment count from 1 without leading zeros, got ${text.slice(start, i)}`);
        return;
      }
      i++;
    }

    // Namespace: "/" up to ",". Tolerates a missing "," at the very end
    // ("0/admin"), which socket.io-parser accepts too.
    let nsp = "/";
    if (text.charCodeAt(i) === SLASH) {
      const comma = text.indexOf(",", i);
      const end = comma === -1 ? n : comma;
      nsp = text.slice(i, end);
      i = comma === -1 ? n : comma + 1;
    }

    // Ack id: canonical digits, EVENT and ACK (binary or not) only.
    let id: number | undefined;
    if (isDigit(text.charCodeAt(i))) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const digits = i - start;
      if (type !== PacketType.EVENT && type !== PacketType.ACK && type !== PacketType.BINARY_EVENT && type !== PacketType.BINARY_ACK) {
        this.#fail("INVALID_ACK_ID", !globalThis.__DUPLEX_TERSE__ && `expected no ack id on a packet of type ${type}, got ${excerpt(text, start)}`);
        return;
      }
      if (digits > MAX_SAFE_DIGITS || !Number.isSafeInteger((id = Number(text.slice(start, i)))) || (digits > 1 && text.charCodeAt(start) === DIGIT_0)) {
        const got = !globalThis.__DUPLEX_TERSE__ && (digits > 20 ? `a ${digits}-digit number` : text.slice(start, i));
        this.#fail("INVALID_ACK_ID", !globalThis.__DUPLEX_TERSE__ && `expected an ack id from 0 to ${Number.MAX_SAFE_INTEGER} without leading zeros, got ${got}`);
        return;
      }
    } else if (type === PacketType.ACK || type === PacketType.BINARY_ACK) {
      this.#fail("INVALID_ACK_ID", !globalThis.__DUPLEX_TERSE__ && `expected an ack id after the namespace of an ACK, got ${excerpt(text, i)}`);
      return;
    }

    // Payload: JSON starting with [ { or " (the only kinds any type accepts).
    let data: unknown;
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x5b && c !== 0x7b && c !== 0x22) {
        const comma = nsp === "/" ? text.indexOf(",", i) : -1;
        if (comma !== -1 && !/[[{"]/.test(text.slice(i, comma))) {
          this.#fail("INVALID_NAMESPACE", !globalThis.__DUPLEX_TERSE__ && `expected a namespace starting with "/" before ",", got ${excerpt(text, i)}`);
        } else {
          this.#fail("INVALID_PAYLOAD", !globalThis.__DUPLEX_TERSE__ && `expected a JSON array, object or string payload, got ${excerpt(text, i)}`);
        }
        return;
      }
      if (exceedsDepth(text, i, this.#maxDepth)) {
        this.#fail("PAYLOAD_TOO_DEEP", !globalThis.__DUPLEX_TERSE__ && `expected JSON nested at most ${this.#maxDepth} levels deep, got deeper nesting`);
        return;
      }
      try {
        data = JSON.parse(text.slice(i), this.#reviver);
      } catch (error) {
        this.#fail("INVALID_PAYLOAD", !globalThis.__DUPLEX_TERSE__ && `expected valid JSON after the header, got ${excerpt(text, i)} (${error instanceof Error ? error.message : "parse error"})`);
        return;
      }
    }
    if (!validPayload(type as PacketType, data)) {
      this.#fail("INVALID_PAYLOAD", !globalThis.__DUPLEX_TERSE__ && `expected ${EXPECTED_PAYLOAD[type]} as ${TYPE_NAMES[type]} payload, got ${data === undefined ? "none" : describe(data)}`);
      return;
    }

    switch (type) {
      case PacketType.CONNECT:
        this.#handler.onPacket(data === undefined ? { type, nsp } : { type, nsp, data: data as Record<string, unknown> });
        return;
      case PacketType.DISCONNECT:
        this.#handler.onPacket({ type, nsp });
        return;
      case PacketType.EVENT:
        this.#handler.onPacket(id === undefined ? { type, nsp, data: data as EventPacket["data"] } : { type, nsp, id, data: data as EventPacket["data"] });
        return;
      case PacketType.ACK:
        this.#handler.onPacket({ type, nsp, id: id as number, data: data as unknown[] });
        return;
      case PacketType.CONNECT_ERROR:
        this.#handler.onPacket({ type, nsp, data: data as string | Record<string, unknown> });
        return;
      default:
        this.#startBinary(type === PacketType.BINARY_EVENT ? PacketType.EVENT : PacketType.ACK, nsp, id, data as unknown[], attachments);
    }
  }

  #startBinary(type: 2 | 3, nsp: string, id: number | undefined, data: unknown[], attachments: number): void {
    let sites: PlaceholderSites | string;
    try {
      sites = findPlaceholders(data, attachments);
    } catch (error) {
      // Only a reviver can make JSON throw on access (getters) or loop.
      this.#fail("INVALID_PAYLOAD", !globalThis.__DUPLEX_TERSE__ && `expected plain JSON data, got an error while reading it: ${error instanceof Error ? error.message : "unknown"}`);
      return;
    }
    if (typeof sites === "string") {
      this.#fail("INVALID_PLACEHOLDER", sites);
      return;
    }
    const packet: EventPacket | AckPacket =
      type === PacketType.ACK
        ? { type, nsp, id: id as number, data }
        : id === undefined
          ? { type, nsp, data: data as EventPacket["data"] }
          : { type, nsp, id, data: data as EventPacket["data"] };
    this.#pending = { packet, expected: attachments, received: [], sites };
  }
}
