import type { SendData } from "./socket";
import { binaryFrame, headerSize, textFrame } from "./transports/frame";

/** "4", the Engine.IO message packet type, as a byte. */
const MESSAGE = 0x34;

/**
 * A message prepared once for many sessions: a broadcast encodes its text or
 * binary once, and each transport takes the form it needs without redoing
 * the work per recipient. Over WebSocket every session writes the very same
 * bytes (`"4" + text` as UTF-8, or the binary as it is), and where it may
 * (no compression) it writes the complete WebSocket frame, built once, in one
 * `write`; long-polling takes the original data into its payload.
 *
 * @example
 * const message = new PreparedMessage('2["news","hello"]');
 * for (const socket of engine.sessions.values()) socket.send(message);
 */
export class PreparedMessage {
  /** The message as given: text, or binary as a Buffer view. */
  readonly data: string | Buffer;
  readonly binary: boolean;
  private payload: Buffer | null = null;
  private frame: Buffer | null = null;

  constructor(data: SendData) {
    if (typeof data === "string") {
      this.data = data;
      this.binary = false;
    } else {
      this.data = toBuffer(data);
      this.binary = true;
    }
  }

  /** The WebSocket frame payload: an Engine.IO message packet, made once. */
  webSocketPayload(): Buffer {
    if (this.payload === null) {
      if (this.binary) {
        this.payload = this.data as Buffer;
      } else {
        // A view into the frame: text is encoded once for both forms.
        const length = Buffer.byteLength(this.data as string) + 1;
        this.payload = this.webSocketFrame().subarray(headerSize(length));
      }
    }
    return this.payload;
  }

  /**
   * The complete unmasked WebSocket frame (RFC 6455 §5.2, FIN, text or
   * binary opcode, no compression) carrying `webSocketPayload()`, made once:
   * the same bytes for every recipient.
   */
  webSocketFrame(): Buffer {
    if (this.frame === null) {
      this.frame = this.binary ? binaryFrame(this.data as Buffer) : textFrame(this.data as string, MESSAGE);
    }
    return this.frame;
  }
}

/** A Buffer view of binary data, without copying. */
export function toBuffer(data: Buffer | ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
