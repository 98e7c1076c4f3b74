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
    parts.push(d == null || typeof d == "string" ? encodeFrame(p) as string : "b" + b64(await bytes(d)));
  }
  return parts.join(SEP);
}

async function bytes(d: BinaryData): Promise<Uint8Array> {
  if (d instanceof Blob) return new Uint8Array(await d.arrayBuffer());
  return ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
}

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

/** Bytes a packet takes in a polling payload (UTF-8 for text, base64 for binary), plus its separator. */
export function payloadLength(d: RawData | undefined): number {
  if (d == null) return 2;
  if (typeof d != "string") return Math.ceil((d instanceof Blob ? d.size : d.byteLength) / 3) * 4 + 2;
  let n = d.length + 1;
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    // 2 bytes up to U+07FF, 3 above; a surrogate pair (2 code units) is 4.
    if (c > 0x7f) n += c < 0x800 ? 1 : 2;
    if (c >= 0xd800 && c < 0xdc00) i++;
  }
  return n + 1;
}
