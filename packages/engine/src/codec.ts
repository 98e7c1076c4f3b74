import { encodePacket, type Packet, type RawData } from "engine.io-parser";

let slot: RawData = "";
function keep(data: RawData): void {
  slot = data;
}

/**
 * engine.io-parser's `encodePacket` takes a callback but, in Node, always calls
 * it before returning. This reads the result without allocating a closure per
 * packet on the hot path.
 */
export function encodePacketSync(packet: Packet, supportsBinary: boolean): RawData {
  encodePacket(packet, supportsBinary, keep);
  const data = slot;
  slot = "";
  return data;
}
