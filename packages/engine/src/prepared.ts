import type { SendData } from "./socket";

/**
 * A message prepared once for many sessions: a broadcast encodes its text or
 * binary once, and each transport takes the form it needs without redoing
 * the work per recipient. Over WebSocket every session writes the very same
 * bytes (`"4" + text` as UTF-8, or the binary as it is); long-polling takes
 * the original data into its payload.
 *
 * @example
 * const message = new PreparedMessage('2["news","hello"]');
 * for (const socket of engine.clients.values()) socket.send(message);
 */
export class PreparedMessage {
  /** The message as given: text, or binary as a Buffer view. */
  readonly data: string | Buffer;
  readonly binary: boolean;
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
    if (this.frame === null) this.frame = this.binary ? (this.data as Buffer) : Buffer.from(`4${this.data as string}`);
    return this.frame;
  }
}

/** A Buffer view of binary data, without copying. */
export function toBuffer(data: Buffer | ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
