// Wire messages → packets, incrementally: a packet's text, then (for binary
// packets) its attachments one message at a time. Everything from the network
// is untrusted: every rule below throws a coded DecodeError, which add()
// catches and reports through the handler; nothing is thrown at the caller.
// Grammar (socket.io-protocol v5, "Packet encoding"):
//   <type 0-6>[<attachments>"-"]["/"<nsp>","][<ack id>][<JSON payload>]

import { isBinary, placeholders, type Binary } from "./binary";
import { DecodeError } from "./errors";
import { describe } from "./describe";
import { exceedsDepth } from "./json-depth";
import { ACK, CONNECT_ERROR, EVENT, EXPECTED_PAYLOAD, isAckId, validPayload, type AckPacket, type DecodedPacket, type EventPacket, type WireChunk } from "./packet";
import { FULL_MESSAGES, SERVER_GUARDS } from "./build";

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
  /**
   * Deepest nesting of arrays and objects in a payload. Default 1000;
   * `Infinity` turns the check off, as Duplex's browser bundles leave it out (build.ts).
   */
  maxDepth?: number;
  /** Passed to `JSON.parse`. */
  reviver?: JsonReviver;
}

// Character codes are written as literals, each with the character it stands for.
const TYPE_NAMES = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"];

/** A packet as the decoder builds it, before it is known to be valid. */
interface PacketFields {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** A binary packet whose attachments are still arriving. */
interface PendingBinary {
  packet: EventPacket | AckPacket;
  attachments: number;
  received: Binary[];
}

function isDigit(charCode: number): boolean {
  return charCode >= 0x30 && charCode <= 0x39; // "0" to "9"
}

/** Index of the first character at or after `i` that is not a digit (charCodeAt past the end is NaN). */
function digitsEnd(text: string, i: number): number {
  while (isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** A run of digits for an error message: itself, or its length when it has more than `most` digits. */
function quoteDigits(digits: string, most: number): string {
  return digits.length > most ? `a ${digits.length}-digit number` : digits;
}

/** Quotes a bit of the input for an error message. */
function excerpt(text: string, from: number): string {
  return from >= text.length ? "the end of the packet" : JSON.stringify(text.slice(from, from + 20) + (text.length > from + 20 ? "…" : ""));
}

/** The decoder's options, as a server's configuration sets them. */
function checkOptions(maxAttachments: number, maxDepth: number): void {
  // A non-negative safe integer: the same rule as an ack id's.
  if (!isAckId(maxAttachments)) {
    throw new RangeError(FULL_MESSAGES ? `maxAttachments: expected a non-negative integer, got ${maxAttachments}` : "maxAttachments");
  }
  if (!(maxDepth >= 1)) throw new RangeError(FULL_MESSAGES ? `maxDepth: expected a number >= 1, got ${maxDepth}` : "maxDepth");
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
    if (SERVER_GUARDS) checkOptions(this.#maxAttachments, this.#maxDepth);
  }

  /** Attachments the current binary packet still waits for (0 when idle). */
  get awaitingAttachments(): number {
    const p = this.#pending;
    return p ? p.attachments - p.received.length : 0;
  }

  /**
   * Feeds one message: a packet's text, or the next attachment of the binary
   * packet being received. Reports through the handler; never throws (except
   * what the handler itself throws).
   */
  add(chunk: WireChunk): void {
    let packet: DecodedPacket | undefined;
    // Every rule below throws a DecodeError, reported here. Anything else
    // thrown comes from the payload itself: JSON that does not parse, a
    // reviver that throws, or a reviver's objects with getters that throw or
    // that cannot take their attachments.
    try {
      packet = typeof chunk === "string" ? this.#text(chunk) : this.#attachment(chunk);
    } catch (error) {
      this.#pending = null;
      this.#handler.onError(
        error instanceof DecodeError
          ? error
          : new DecodeError(
              "INVALID_PAYLOAD",
              FULL_MESSAGES && `expected a valid JSON payload, got an error while parsing or reading it: ${error instanceof Error ? error.message : "unknown"}`,
            ),
      );
      return;
    }
    // Outside the try: what the handler throws is the handler's.
    if (packet) this.#handler.onPacket(packet);
  }

  /** Drops a partially received binary packet. The decoder holds nothing afterwards and may be reused. */
  destroy(): void {
    this.#pending = null;
  }

  #attachment(chunk: unknown): DecodedPacket | undefined {
    if (!isBinary(chunk)) throw new DecodeError("INVALID_INPUT", FULL_MESSAGES && `expected a string or binary data, got ${describe(chunk)}`);
    const p = this.#pending;
    if (!p) throw new DecodeError("UNEXPECTED_ATTACHMENT", FULL_MESSAGES && "expected a packet's text, got binary data while no binary packet awaits attachments");
    if (p.received.push(chunk) < p.attachments) return undefined;
    // Idle again before calling out, so a throwing handler leaves clean state.
    this.#pending = null;
    placeholders(p.packet.data, p.attachments, p.received);
    return p.packet;
  }

  #text(text: string): DecodedPacket | undefined {
    if (this.#pending) {
      throw new DecodeError("ATTACHMENTS_PENDING", FULL_MESSAGES && `expected ${this.awaitingAttachments} more binary attachment(s), got a text message`);
    }
    const n = text.length;
    const type = text.charCodeAt(0) - 0x30; /* "0" */
    if (!(type >= 0 && type <= 6)) {
      throw new DecodeError("INVALID_PACKET_TYPE", FULL_MESSAGES && `expected a packet type digit from 0 to 6, got ${excerpt(text, 0)}`);
    }
    // BINARY_EVENT and BINARY_ACK follow the rules of EVENT and ACK, and are
    // reported as them once their attachments are in place.
    const binary = type > CONNECT_ERROR;
    const plain = binary ? type - 3 : type;
    let i = 1;

    // Attachment count: digits then "-", binary packets only.
    let attachments = 0;
    if (binary) {
      i = digitsEnd(text, 1);
      const digits = i - 1;
      if (digits === 0 || text.charCodeAt(i) !== 0x2d /* "-" */) {
        throw new DecodeError("INVALID_ATTACHMENTS", FULL_MESSAGES && `expected an attachment count followed by "-", got ${excerpt(text, 1)}`);
      }
      // Number.MAX_SAFE_INTEGER has 16 digits: anything longer is no count.
      attachments = digits < 16 ? Number(text.slice(1, i)) : Infinity;
      if (attachments > this.#maxAttachments) {
        throw new DecodeError(
          "TOO_MANY_ATTACHMENTS",
          FULL_MESSAGES && `expected at most ${this.#maxAttachments} attachments, got ${quoteDigits(text.slice(1, i), 12)}`,
        );
      }
      // A leading zero also catches a count of 0.
      if (text.charCodeAt(1) === 0x30 /* "0" */) {
        throw new DecodeError("INVALID_ATTACHMENTS", FULL_MESSAGES && `expected an attachment count from 1 without leading zeros, got ${text.slice(1, i)}`);
      }
      i++;
    }

    // Namespace: "/" up to ",". Tolerates a missing "," at the very end
    // ("0/admin"), which socket.io-parser accepts too: i then points past the
    // end, which every check below treats as the end.
    let nsp = "/";
    if (text.charCodeAt(i) === 0x2f /* "/" */) {
      let comma = text.indexOf(",", i);
      if (comma === -1) comma = n;
      nsp = text.slice(i, comma);
      i = comma + 1;
    }

    // Ack id: canonical digits, EVENT and ACK (binary or not) only; an ACK must
    // have one.
    let id: number | undefined;
    const idEnd = digitsEnd(text, i);
    const digits = idEnd - i;
    if (digits === 0 && plain === ACK) {
      throw new DecodeError("INVALID_ACK_ID", FULL_MESSAGES && `expected an ack id after the namespace of an ACK, got ${excerpt(text, i)}`);
    }
    if (digits > 0) {
      if (plain !== EVENT && plain !== ACK) {
        throw new DecodeError("INVALID_ACK_ID", FULL_MESSAGES && `expected no ack id on a packet of type ${type}, got ${excerpt(text, i)}`);
      }
      id = Number(text.slice(i, idEnd));
      const leadingZero = digits > 1 && text.charCodeAt(i) === 0x30; /* "0" */
      if (!Number.isSafeInteger(id) || leadingZero) {
        throw new DecodeError(
          "INVALID_ACK_ID",
          FULL_MESSAGES && `expected an ack id from 0 to ${Number.MAX_SAFE_INTEGER} without leading zeros, got ${quoteDigits(text.slice(i, idEnd), 20)}`,
        );
      }
    }
    i = idEnd;

    // Payload: JSON starting with [ { or " (the only kinds any type accepts).
    let data: unknown;
    if (i < n) {
      const first = text.charCodeAt(i);
      if (first !== 0x5b && first !== 0x7b && first !== 0x22 /* [ { " */) {
        // Where no namespace was read, a "," before any JSON means one without its "/".
        if (nsp === "/" && /^[^[{"]*,/.test(text.slice(i))) {
          throw new DecodeError("INVALID_NAMESPACE", FULL_MESSAGES && `expected a namespace starting with "/" before ",", got ${excerpt(text, i)}`);
        }
        throw new DecodeError("INVALID_PAYLOAD", FULL_MESSAGES && `expected a JSON array, object or string payload, got ${excerpt(text, i)}`);
      }
      if (SERVER_GUARDS && exceedsDepth(text, i, this.#maxDepth)) {
        throw new DecodeError("PAYLOAD_TOO_DEEP", FULL_MESSAGES && `expected JSON nested at most ${this.#maxDepth} levels deep, got deeper nesting`);
      }
      // A SyntaxError, or whatever the reviver throws, is reported by add().
      data = JSON.parse(text.slice(i), this.#reviver);
    }
    if (!validPayload(plain, data)) {
      throw new DecodeError(
        "INVALID_PAYLOAD",
        FULL_MESSAGES && `expected ${EXPECTED_PAYLOAD[plain]} as ${TYPE_NAMES[type]} payload, got ${data === undefined ? "none" : describe(data)}`,
      );
    }

    // Built once, with no id or data key where the packet has none.
    const packet: PacketFields = { type: plain, nsp };
    if (id !== undefined) packet.id = id;
    if (data !== undefined) packet.data = data;
    if (!binary) return packet as DecodedPacket;
    placeholders(data as unknown[], attachments);
    this.#pending = { packet: packet as EventPacket | AckPacket, attachments, received: [] };
    return undefined;
  }
}
