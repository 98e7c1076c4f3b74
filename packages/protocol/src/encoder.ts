// Packet → wire messages. The text is byte-identical to socket.io-parser 4.x's
// for the same packet, so either side can be Socket.IO.
// Format (socket.io-protocol v5, "Packet encoding"):
//   <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
// where the namespace is written only when it is not "/".

import { deconstruct, hasBinary, type Binary } from "./binary";
import { EncodeError } from "./errors";
import { ACK, BINARY_ACK, BINARY_EVENT, CONNECT_ERROR, EVENT, isAckId, type Packet } from "./packet";
import { FULL_MESSAGES, SERVER_GUARDS } from "./build";

/** `JSON.stringify`'s replacer function. */
export type JsonReplacer = (this: unknown, key: string, value: unknown) => unknown;

/** Options of {@link Encoder}. */
export interface EncoderOptions {
  /** Passed to `JSON.stringify` (socket.io-parser's `new Encoder(replacer)`). */
  replacer?: JsonReplacer;
}

/**
 * An encoded packet: its text, then one message per binary attachment, to be
 * sent in this order.
 */
export type EncodedPacket = [text: string, ...attachments: Binary[]];


/** Whether `value` is undefined or null: socket.io-parser writes neither an id nor a payload for them. */
function isNullish(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/**
 * Encodes packets into wire messages. Stateless, so one encoder serves every
 * socket; encode a broadcast once and send the same messages to every peer.
 *
 * An EVENT or ACK whose data holds binary values anywhere (Buffer, ArrayBuffer,
 * typed arrays, DataView, Blob/File) is sent as BINARY_EVENT / BINARY_ACK with
 * placeholders, exactly as socket.io-parser does. Packets without binary take
 * a fast path: one scan for binary, then `JSON.stringify`.
 *
 * @example
 * ```ts
 * const encoder = new Encoder();
 * encoder.encode({ type: PacketType.EVENT, nsp: "/chat", id: 7, data: ["hi", 1] });
 * // ['2/chat,7["hi",1]']
 * encoder.encode({ type: PacketType.EVENT, nsp: "/", data: ["file", new Uint8Array([1])] });
 * // ['51-["file",{"_placeholder":true,"num":0}]', Uint8Array [1]]
 * ```
 */
export class Encoder {
  readonly #replacer: JsonReplacer | undefined;

  constructor(options?: EncoderOptions) {
    this.#replacer = options?.replacer;
  }

  /**
   * Encodes one packet.
   * @throws {EncodeError} `INVALID_PACKET` for an unknown type, a namespace
   *   not starting with "/" or a bad ack id (not checked in Duplex's browser
   *   bundles, see build.ts); `UNSERIALIZABLE_DATA` when the payload cannot be
   *   turned into JSON (circular, BigInt, …).
   */
  encode(packet: Packet): EncodedPacket {
    const { type, nsp, id, data } = packet as Packet & { id?: unknown; data?: unknown };
    // The type digit; anything but a type number indexes to undefined.
    let head: string | undefined = "0123456"[type];
    // The namespace is written only when it is not "/" (or empty), the id
    // whenever it is set, as socket.io-parser writes them.
    const named = nsp && nsp !== "/";
    const badNsp = named && nsp.charCodeAt(0) !== 0x2f; /* "/" */
    if (SERVER_GUARDS && (head === undefined || badNsp || (!isNullish(id) && !isAckId(id)))) {
      throw new EncodeError(
        "INVALID_PACKET",
        FULL_MESSAGES &&
          (head === undefined
            ? `expected a packet type from 0 to 6, got ${String(type)}`
            : badNsp
              ? `expected a namespace starting with "/", got ${JSON.stringify(nsp.slice(0, 40))}`
              : `expected an ack id that is a non-negative safe integer, got ${typeof id === "number" ? id : typeof id}`),
      );
    }
    const rest = (named ? nsp + "," : "") + (id ?? "");
    try {
      let json = data;
      const buffers: Binary[] = [];
      if (type === BINARY_EVENT || type === BINARY_ACK || ((type === EVENT || type === ACK) && hasBinary(data))) {
        json = deconstruct(data, buffers);
        const binaryType = type > CONNECT_ERROR ? type : type + 3;
        // An explicit BINARY_* packet without binary would read "50-", which no
        // decoder accepts: send it as the plain EVENT / ACK it is.
        head = buffers.length > 0 ? `${binaryType}${buffers.length}-` : `${binaryType - 3}`;
      }
      // Same concatenation as socket.io-parser: no payload for undefined or null.
      return [head + rest + (isNullish(json) ? "" : JSON.stringify(json, this.#replacer)), ...buffers];
    } catch (error) {
      throw new EncodeError(
        "UNSERIALIZABLE_DATA",
        FULL_MESSAGES ? `expected packet data that JSON can represent, got an error while serialising it: ${String(error)}` : String(error),
        { cause: error },
      );
    }
  }
}
