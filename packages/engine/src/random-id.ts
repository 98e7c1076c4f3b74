import { randomFillSync } from "node:crypto";

/** Bytes per id: 15 random bytes are 20 base64url characters, engine.io's sid length. */
const ID_BYTES = 15;
/** Random bytes are fetched in blocks of this many ids: one `randomFillSync` call serves them all. */
const IDS_PER_BLOCK = 256;

const block = Buffer.allocUnsafe(ID_BYTES * IDS_PER_BLOCK);
let offset = block.length;

/**
 * A fresh random id: 20 base64url characters (120 bits from the CSPRNG).
 * Session ids and socket ids both come from here.
 *
 * @example
 * randomId(); // "d3Bv1k9Xq0gT8yB2c1aZ"
 */
export function randomId(): string {
  if (offset === block.length) {
    randomFillSync(block);
    offset = 0;
  }
  const id = block.toString("base64url", offset, offset + ID_BYTES);
  // Each byte serves one id only.
  offset += ID_BYTES;
  return id;
}
