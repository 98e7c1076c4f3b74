// Packet → wire messages. The text is byte-identical to socket.io-parser 4.x's
// for the same packet, so either side can be Socket.IO.
// Format (socket.io-protocol v5, "Packet encoding"):
//   <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
// where the namespace is written only when it is not "/".

import { deconstruct, hasBinary, type Binary } from "./binary";
import { EncodeError } from "./errors";
import { PacketType, isAckId, type Packet } from "./packet";

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

const TYPE_TEXT = ["0", "1", "2", "3", "4", "5", "6"] as const;

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
   *   not starting with "/" or a bad ack id; `UNSERIALIZABLE_DATA` when the
   *   payload cannot be turned into JSON (circular, BigInt, …).
   */
  encode(packet: Packet): EncodedPacket {
    const type = packet.type;
    const text = TYPE_TEXT[type];
    if (text === undefined) {
      throw new EncodeError("INVALID_PACKET", !globalThis.__DUPLEX_TERSE__ && `expected a packet type from 0 to 6, got ${String(type)}`);
    }
    const data = (packet as { data?: unknown }).data;
    try {
      if (type === PacketType.EVENT || type === PacketType.ACK) {
        if (!hasBinary(data)) return [this.#text(text, packet, data)];
        return this.#binary(type + 3, packet, data);
      }
      if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
        return this.#binary(type, packet, data);
      }
      return [this.#text(text, packet, data)];
    } catch (error) {
      if (error instanceof EncodeError) throw error;
      throw new EncodeError(
        "UNSERIALIZABLE_DATA",
        !globalThis.__DUPLEX_TERSE__ ? `expected packet data that JSON can represent, got an error while serialising it: ${String(error)}` : String(error),
        { cause: error },
      );
    }
  }

  #text(head: string, packet: Packet, data: unknown): string {
    const nsp = packet.nsp;
    if (nsp && nsp !== "/") {
      if (nsp.charCodeAt(0) !== 0x2f /* "/" */) throw badNamespace(nsp);
      head += nsp + ",";
    }
    const id = (packet as { id?: unknown }).id;
    if (id != null) {
      if (!isAckId(id)) throw badAckId(id);
      head += id;
    }
    // Same concatenation as socket.io-parser, including its null check.
    if (data != null) head += JSON.stringify(data, this.#replacer);
    return head;
  }

  #binary(type: number, packet: Packet, data: unknown): EncodedPacket {
    const buffers: Binary[] = [];
    const json = deconstruct(data, buffers);
    // An explicit BINARY_* packet without binary would read "50-", which no
    // decoder accepts: send it as the plain EVENT / ACK it is.
    if (buffers.length === 0) return [this.#text(TYPE_TEXT[type - 3] as string, packet, json)];
    const out = [this.#text(type + "" + buffers.length + "-", packet, json)] as EncodedPacket;
    for (let i = 0; i < buffers.length; i++) out.push(buffers[i] as Binary);
    return out;
  }
}

function badNamespace(nsp: string): EncodeError {
  return new EncodeError("INVALID_PACKET", !globalThis.__DUPLEX_TERSE__ && `expected a namespace starting with "/", got ${JSON.stringify(nsp.slice(0, 40))}`);
}

function badAckId(id: unknown): EncodeError {
  return new EncodeError("INVALID_PACKET", !globalThis.__DUPLEX_TERSE__ && `expected an ack id that is a non-negative safe integer, got ${typeof id === "number" ? id : typeof id}`);
}
