// @duplex/protocol: Socket.IO v5 packets. Pure TypeScript: no I/O, no Node
// built-ins, no runtime dependency; the same code runs in browsers.

/** Socket.IO protocol revision spoken by this package. */
export const PROTOCOL = 5;

export {
  PacketType,
  RESERVED_EVENTS,
  isReservedEvent,
  isPacket,
  isAckId,
  type Packet,
  type DecodedPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type EventPacket,
  type AckPacket,
  type ConnectErrorPacket,
  type BinaryEventPacket,
  type BinaryAckPacket,
  type EventData,
  type PayloadObject,
  type WireChunk,
} from "./packet";
export { isBinary, hasBinary, type Binary, type BlobLike, type Placeholder } from "./binary";
export { Encoder, type EncoderOptions, type EncodedPacket, type JsonReplacer } from "./encoder";
export { Decoder, type DecoderHandler, type DecoderOptions, type JsonReviver } from "./decoder";
export { AckRegistry, type AckFunction, type AckRegistryHandler } from "./ack-registry";
export {
  ProtocolError,
  DecodeError,
  EncodeError,
  AckError,
  type ProtocolErrorCode,
  type DecodeErrorCode,
  type EncodeErrorCode,
  type AckErrorCode,
} from "./errors";
export {
  defaultParser,
  fromSocketIoParser,
  type Parser,
  type EncoderLike,
  type DecoderLike,
  type EmitterParser,
  type EmitterDecoder,
} from "./parser";

export type * from "./typed-events";
