import type { Adapter } from "@duplex/server";
import type { Part } from "./envelope";

type Packet = Parameters<Adapter["broadcast"]>[0];

/**
 * The packet of a broadcast that arrived encoded. Sockets only need it for
 * `onAnyOutgoing` listeners, so its arguments are decoded on first read, and
 * only for the default Socket.IO v5 text format (`2/nsp,["ev",…]`, binary
 * placeholders put back); with a custom parser they read as [].
 */
export function lazyPacket(nsp: string, chunks: readonly Part[]): Packet {
  let data: unknown[] | undefined;
  return {
    type: 2,
    nsp,
    get data() {
      return (data ??= decodeArgs(chunks));
    },
  } as Packet;
}

function decodeArgs(chunks: readonly Part[]): unknown[] {
  const text = chunks[0];
  if (typeof text !== "string") return [];
  const at = text.indexOf("[");
  if (at < 0) return [];
  try {
    const args = JSON.parse(text.slice(at), (_key, value: unknown) => {
      if (typeof value === "object" && value !== null && (value as { _placeholder?: unknown })._placeholder === true) {
        return chunks[((value as { num: number }).num ?? 0) + 1];
      }
      return value;
    }) as unknown;
    // The offset added by recovery stays: socket.io's onAnyOutgoing sees it too.
    return Array.isArray(args) ? args : [];
  } catch {
    return [];
  }
}
