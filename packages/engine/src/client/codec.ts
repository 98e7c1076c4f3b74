/**
 * Engine.IO v4 packets and polling payloads (engine.io-protocol v4,
 * "Packet encoding" and "Payload encoding").
 *
 * Written by hand instead of engine.io-parser 5.2.3: the client needs five
 * short functions, while the parser's browser build costs about 1,000 bytes
 * min+gzip (a third of the engine client's budget) for its Blob/FileReader
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
export function encodeFrame(p: Packet): RawData {
  const d = p.data ?? "";
  return typeof d == "string" ? TYPES.indexOf(p.type) + d : d;
}

/** Packets as one polling body; binary becomes `b<base64>`. Async only because a Blob must be read. */
export async function encodePayload(packets: Packet[], b64: (bytes: Uint8Array) => string): Promise<string> {
  const parts: string[] = [];
  for (const p of packets) {
    const d = p.data;
    // A Blob reads any binary (ArrayBuffer, view, Blob) into one byte array.
    parts.push(d == null || typeof d == "string" ? encodeFrame(p) as string : "b" + b64(new Uint8Array(await blob(d).arrayBuffer())));
  }
  return parts.join(SEP);
}

/** TypeScript types views as possibly over a SharedArrayBuffer, which no socket sends. */
const blob = (d: RawData): Blob => new Blob([d as BlobPart]);

/** One text packet; `bin` decodes a polling `b<base64>` packet. Undefined when the type is unknown. */
export function decodePacket(s: string, bin?: (b64: string) => RawData): Packet | undefined {
  if (bin && s[0] == "b") return { type: "message", data: bin(s.slice(1)) };
  const type = TYPES[s.charCodeAt(0) - 48];
  return type && { type, data: s.slice(1) };
}

/** A polling body; undefined when one of its packets is malformed. */
export function decodePayload(body: string, bin: (b64: string) => RawData): Packet[] | undefined {
  const out: Packet[] = [];
  for (const s of body.split(SEP)) {
    const p = decodePacket(s, bin);
    if (!p) return;
    out.push(p);
  }
  return out;
}

/**
 * Bytes a packet takes in a polling payload, plus its separator: its type
 * and its text in UTF-8, or `b` and the base64 of its binary. Measured
 * through a Blob, which encodes text as UTF-8 (polling only, where the body
 * is encoded anyway; a WebSocket never asks).
 */
export function payloadLength(d: RawData | undefined): number {
  const n = blob(d ?? "").size;
  return (d == null || typeof d == "string" ? n : Math.ceil(n / 3) * 4) + 2;
}
