/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2), built as one Buffer so
 * that a transport can hand them to its socket in one `write`: FIN set, no
 * extension bits, no mask (a server never masks), and the payload length in
 * 7, 7+16 or 7+64 bits.
 *
 *   byte 0: FIN (0x80) | opcode     byte 1: length (0..125), 126 or 127
 *   then 2 (126) or 8 (127) bytes of big-endian length, then the payload
 */
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

/** No byte before the payload (see `textFrame`). */
export const NO_PREFIX = -1;

/** Bytes of an unmasked frame header for a payload of `length` bytes. */
export function headerSize(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes the header at the start of `frame`; returns its size. */
function writeHeader(frame: Buffer, opcode: number, length: number): number {
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
    return 2;
  }
  if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
  frame.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/**
 * A text frame whose payload is `prefix` (one ASCII byte, e.g. 0x34 for an
 * Engine.IO message "4", or NO_PREFIX) followed by `text` as UTF-8.
 */
export function textFrame(text: string, prefix: number): Buffer {
  const extra = prefix === NO_PREFIX ? 0 : 1;
  const length = Buffer.byteLength(text) + extra;
  const frame = Buffer.allocUnsafe(headerSize(length) + length);
  const head = writeHeader(frame, OPCODE_TEXT, length);
  if (extra) frame[head] = prefix;
  frame.write(text, head + extra);
  return frame;
}

/** A binary frame: header and a copy of `data`, in one Buffer. */
export function binaryFrame(data: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(headerSize(data.length) + data.length);
  data.copy(frame, writeHeader(frame, OPCODE_BINARY, data.length));
  return frame;
}

/** The header alone of a binary frame, for payloads too large to copy. */
export function binaryHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(headerSize(length));
  writeHeader(header, OPCODE_BINARY, length);
  return header;
}
