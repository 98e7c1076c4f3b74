// The parser seam: what server and client accept as their `parser` option,
// Duplex's own codec as the default, and an adapter for socket.io-style
// parsers (an Encoder class, and a Decoder class that emits "decoded"), such as
// socket.io-parser itself or socket.io-msgpack-parser.

import { isBinary } from "./binary";
import { Decoder, type DecoderHandler, type DecoderOptions } from "./decoder";
import { Encoder } from "./encoder";
import { DecodeError, EncodeError } from "./errors";
import { describe } from "./describe";
import { PacketType, isPacket, type DecodedPacket, type Packet, type WireChunk } from "./packet";

/** Encodes a packet into the messages to send, in order. */
export interface EncoderLike {
  encode(packet: Packet): WireChunk[];
}

/** Turns the messages of one session into packets, reporting to its handler. */
export interface DecoderLike {
  /** Feeds one message. Reports through the handler; never throws. */
  add(chunk: WireChunk): void;
  /** Drops any partial state (a binary packet waiting for attachments). */
  destroy(): void;
}

/**
 * A codec for Socket.IO packets. Servers and clients create one encoder
 * (encode once, send to many) and one decoder per session.
 *
 * @example
 * ```ts
 * function attach(parser: Parser = defaultParser) {
 *   const encoder = new parser.Encoder();
 *   const decoder = new parser.Decoder({ onPacket, onError }, { maxAttachments: 10 });
 * }
 * ```
 */
export interface Parser {
  Encoder: new () => EncoderLike;
  Decoder: new (handler: DecoderHandler, options?: DecoderOptions) => DecoderLike;
}

/** Duplex's own codec: the Socket.IO v5 text format with binary attachments. */
export const defaultParser: Parser = { Encoder, Decoder };

/** A decoder in socket.io-parser's shape: an emitter of "decoded" that throws on bad input. */
export interface EmitterDecoder {
  add(chunk: WireChunk): void;
  destroy(): void;
  on(event: "decoded", listener: (packet: unknown) => void): unknown;
}

/** A parser module in socket.io-parser's shape (what Socket.IO's `parser` option takes). */
export interface EmitterParser {
  Encoder: new () => { encode(packet: Packet): unknown[] };
  Decoder: new (options?: { maxAttachments?: number }) => EmitterDecoder;
}

/**
 * Wraps a socket.io-style parser module so it plugs into Duplex's seam.
 * Decoded packets are checked with {@link isPacket} (BINARY_EVENT / BINARY_ACK
 * are reported as EVENT / ACK); anything the wrapped decoder throws or emits
 * that is not a valid packet is reported as an `INVALID_PACKET` error, after
 * which the wrapped decoder is reset with `destroy()`.
 *
 * @example
 * ```ts
 * import * as msgpackParser from "socket.io-msgpack-parser";
 * const parser = fromSocketIoParser(msgpackParser);
 * const server = new Server({ parser });
 * ```
 */
export function fromSocketIoParser(mod: EmitterParser): Parser {
  class AdaptedEncoder implements EncoderLike {
    private readonly inner = new mod.Encoder();

    encode(packet: Packet): WireChunk[] {
      const out = this.inner.encode(packet);
      for (let i = 0; i < out.length; i++) {
        const chunk = out[i];
        if (typeof chunk !== "string" && !isBinary(chunk)) {
          throw new EncodeError("UNSERIALIZABLE_DATA", `expected the parser's encoder to return strings and binary data, got ${describe(chunk)}`);
        }
      }
      return out as WireChunk[];
    }
  }

  class AdaptedDecoder implements DecoderLike {
    private readonly inner: EmitterDecoder;
    private readonly handler: DecoderHandler;
    private readonly queue: unknown[] = [];

    constructor(handler: DecoderHandler, options?: DecoderOptions) {
      this.handler = handler;
      // socket.io-parser reads maxAttachments (and a reviver); others ignore the argument.
      this.inner = new mod.Decoder(options);
      // One listener per decoder, not per packet.
      this.inner.on("decoded", (packet: unknown) => {
        this.queue.push(packet);
      });
    }

    add(chunk: WireChunk): void {
      let failed = false;
      let failure: unknown;
      try {
        this.inner.add(chunk);
      } catch (error) {
        failed = true;
        failure = error;
      }
      // Delivered outside the try: an error thrown by the handler is the
      // handler's, not a decoding error.
      if (this.queue.length !== 0) {
        for (const packet of this.queue.splice(0)) this.deliver(packet);
      }
      if (failed) {
        this.inner.destroy();
        const message = failure instanceof Error ? failure.message : describe(failure);
        this.handler.onError(new DecodeError("INVALID_PACKET", `expected input the wrapped parser accepts, got an error from it: ${message}`, { cause: failure }));
      }
    }

    destroy(): void {
      this.inner.destroy();
    }

    private deliver(value: unknown): void {
      let packet = value;
      if (isPacket(packet) && (packet.type === PacketType.BINARY_EVENT || packet.type === PacketType.BINARY_ACK)) {
        packet = { ...packet, type: packet.type - 3 };
      }
      if (isPacket(packet)) {
        this.handler.onPacket(packet as DecodedPacket);
      } else {
        this.handler.onError(new DecodeError("INVALID_PACKET", `expected the wrapped parser to produce a valid packet, got ${describe(value)}`));
      }
    }
  }

  return { Encoder: AdaptedEncoder, Decoder: AdaptedDecoder };
}
