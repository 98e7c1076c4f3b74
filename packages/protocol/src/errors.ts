// Coded errors. The codes are stable API: servers and clients branch on them
// (and close sessions with them as the reason); messages are for people and
// may change.

// Messages are full in Node and short in the browser bundles (build.ts):
// there an error's message is its code, or its code's facts in a few bytes.

/** Why a decoder refused its input. */
export type DecodeErrorCode =
  /** A chunk that is neither a string nor binary data. */
  | "INVALID_INPUT"
  /** Empty text, or a first character that is not a digit from 0 to 6. */
  | "INVALID_PACKET_TYPE"
  /** The attachment count of a binary packet is missing, zero, has a leading zero, or is not followed by "-". */
  | "INVALID_ATTACHMENTS"
  /** More attachments announced than `maxAttachments` allows. */
  | "TOO_MANY_ATTACHMENTS"
  /** Text before the first "," that does not start with "/". */
  | "INVALID_NAMESPACE"
  /** An ack id that is not a canonical non-negative safe integer, one on a packet type that takes none, or an ACK without one. */
  | "INVALID_ACK_ID"
  /** The JSON does not parse, or the payload breaks its packet type's rule. */
  | "INVALID_PAYLOAD"
  /** The JSON nests deeper than `maxDepth`. */
  | "PAYLOAD_TOO_DEEP"
  /** A placeholder whose `num` is not an integer within the announced attachments. */
  | "INVALID_PLACEHOLDER"
  /** Binary data arrived while no binary packet was waiting for attachments. */
  | "UNEXPECTED_ATTACHMENT"
  /** Text arrived while a binary packet was still waiting for attachments. */
  | "ATTACHMENTS_PENDING"
  /** A plugged-in (socket.io-style) parser threw, or reported something that is not a valid packet. */
  | "INVALID_PACKET";

/** Why an encoder refused a packet (a programming error: the encoder throws these). */
export type EncodeErrorCode =
  /** Unknown packet type, a namespace not starting with "/", or a bad ack id. */
  | "INVALID_PACKET"
  /** The payload cannot be serialised (circular, BigInt, a throwing toJSON, nesting too deep for the stack). */
  | "UNSERIALIZABLE_DATA";

/** Why an acknowledgement callback was settled with an error. */
export type AckErrorCode =
  /** No ACK arrived within the timeout. */
  | "ACK_TIMEOUT"
  /** The registry was closed (socket disconnected) while the ack was pending. */
  | "ACK_CLOSED";

/** Every code a `ProtocolError` may carry. */
export type ProtocolErrorCode = DecodeErrorCode | EncodeErrorCode | AckErrorCode;

/**
 * Base class of the errors raised by `@duplex/protocol`; `code` is stable.
 *
 * @example
 * ```ts
 * if (err instanceof ProtocolError && err.code === "TOO_MANY_ATTACHMENTS") session.close(err.code);
 * ```
 */
export class ProtocolError<C extends ProtocolErrorCode = ProtocolErrorCode> extends Error {
  override name = "ProtocolError";
  // `declare`: assigned in the constructor, so no field initialiser is emitted too.
  declare readonly code: C;

  /** `message` false (a terse build): the code is the message. */
  constructor(code: C, message: string | false, options?: { cause?: unknown }) {
    super(message || code, options);
    this.code = code;
  }
}

/** Reported by decoders through `onError`; never thrown. */
export class DecodeError extends ProtocolError<DecodeErrorCode> {
  override name = "DecodeError";
}

/** Thrown by `Encoder#encode` for a packet it cannot write. */
export class EncodeError extends ProtocolError<EncodeErrorCode> {
  override name = "EncodeError";
}

/**
 * Passed to an ack callback that timed out or was cut off by `rejectAll()`.
 * The messages are socket.io's, so that code written for socket.io reads
 * them as it always did; `code` tells the two apart.
 */
export class AckError extends ProtocolError<AckErrorCode> {
  override name = "AckError";
  /** The ack id that was pending. */
  declare readonly id: number;

  constructor(code: AckErrorCode, id: number) {
    super(code, code === "ACK_TIMEOUT" ? "operation has timed out" : "socket has been disconnected");
    this.id = id;
  }
}
