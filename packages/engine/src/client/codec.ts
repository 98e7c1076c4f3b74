/**
 * Engine.IO v4 packets and polling payloads (engine.io-protocol v4,
 * "Packet encoding" and "Payload encoding").
 *
 * Written by hand instead of engine.io-parser: the client needs five short
 * functions, where the parser's browser build carries a Blob/FileReader
 * base64 path, its own base64 table and stream codecs; base64 here is the
 * platform's (`atob`/`btoa`, or Buffer in Node).
 */
export type BinaryData = ArrayBuffer | ArrayBufferView | Blob;
export type RawData = string | BinaryData;

export const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"] as const;
export type PacketType = (typeof TYPES)[number];

export interface Packet {
  type: PacketType;
  data?: RawData;
}

/** Record separator between packets of a polling payload. */
export const SEP = "\x1e";

/** One packet as one WebSocket frame: text `<type><data>`, or the bare binary of a message. */
export function encodeFrame(packet: Packet): RawData {
  const data = packet.data ?? "";
  return typeof data === "string" ? TYPES.indexOf(packet.type) + data : data;
}

/** Packets as one polling body; binary becomes `b<base64>`. Async only because a Blob must be read. */
export async function encodePayload(packets: Packet[], b64: (bytes: Uint8Array) => string): Promise<string> {
  const parts: string[] = [];
  for (const packet of packets) {
    const data = packet.data;
    if (data === undefined || typeof data === "string") {
      parts.push(encodeFrame(packet) as string);
    } else {
      // A Blob reads any binary (ArrayBuffer, view, Blob) into one byte array.
      parts.push("b" + b64(new Uint8Array(await blob(data).arrayBuffer())));
    }
  }
  return parts.join(SEP);
}

/** TypeScript types views as possibly over a SharedArrayBuffer, which no socket sends. */
const blob = (data: RawData): Blob => new Blob([data as BlobPart]);

/** One text packet; `fromBase64` decodes a polling `b<base64>` packet. Undefined when the type is unknown. */
export function decodePacket(text: string, fromBase64?: (base64: string) => RawData): Packet | undefined {
  if (fromBase64 && text[0] === "b") return { type: "message", data: fromBase64(text.slice(1)) };
  // The type is one digit: "0" is 48.
  const type = TYPES[text.charCodeAt(0) - 48];
  if (type === undefined) return undefined;
  return { type, data: text.slice(1) };
}

/** A polling body; undefined when one of its packets is malformed. */
export function decodePayload(body: string, fromBase64: (base64: string) => RawData): Packet[] | undefined {
  const packets: Packet[] = [];
  for (const text of body.split(SEP)) {
    const packet = decodePacket(text, fromBase64);
    if (!packet) return undefined;
    packets.push(packet);
  }
  return packets;
}

/**
 * Bytes a packet takes in a polling payload, plus its separator: its type
 * and its text in UTF-8, or `b` and the base64 of its binary. Measured
 * through a Blob, which encodes text as UTF-8 (polling only, where the body
 * is encoded anyway; a WebSocket never asks).
 */
export function payloadLength(data: RawData | undefined): number {
  const bytes = blob(data ?? "").size;
  const encoded = data === undefined || typeof data === "string" ? bytes : Math.ceil(bytes / 3) * 4;
  return encoded + 2;
}
