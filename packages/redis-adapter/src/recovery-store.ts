import type { RecoveredSession, Room, Session } from "@duplex/server";
import { RESP_TYPES } from "redis";
import { MessageType, decodeEnvelope, encodeEnvelope } from "./envelope";
import type { RedisClientLike } from "./redis";

// Connection state recovery across nodes. Per namespace, under one hash tag
// (so a Redis Cluster would keep them in one slot):
//   {key#nsp}:packets         a stream of recoverable packets (rooms, except, args)
//   {key#nsp}:offset:<offset> the stream id of the packet with that offset
//   {key#nsp}:session:<pid>   a disconnected socket's session
// Everything expires after maxDisconnectionDuration: sessions and offsets by
// PX, the stream by MINID trimming on each append and a PEXPIRE.

// One round trip, atomic: the offset index exists as soon as the packet does.
const APPEND = `
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', 'p', ARGV[2])
redis.call('SET', KEYS[2], id, 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return id`;

// The packets after an offset, in one round trip. An offset's key lives as
// long as its packet (ttl). When it has expired, the client's last packet is
// older than the window: a client that heard nothing for so long (a quiet
// one, not in the rooms broadcast to) missed exactly the packets younger than
// the window, counted on Redis's clock, as the key's expiry was.
const MISSED = `
local id = redis.call('GET', KEYS[2])
local from
if id then
  from = '(' .. id
else
  local now = redis.call('TIME')
  from = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[1]))
end
return redis.call('XRANGE', KEYS[1], from, '+')`;

const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

interface StoredPacket {
  r: Room[];
  e: Room[];
  d: unknown[];
}

function reaches(sessionRooms: readonly Room[], packet: StoredPacket): boolean {
  const included = packet.r.length === 0 || packet.r.some((room) => sessionRooms.includes(room));
  return included && !packet.e.some((room) => sessionRooms.includes(room));
}

export class RecoveryStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisClientLike,
    key: string,
    nsp: string,
    private readonly uid: Buffer,
    private readonly ttl: number,
  ) {
    this.prefix = `{${key}#${nsp}}:`;
  }

  /** Keeps a recoverable packet (its args already end with `offset`). */
  append(offset: string, rooms: Iterable<Room>, except: Iterable<Room> | undefined, data: unknown[]): Promise<unknown> {
    const payload = encodeEnvelope(MessageType.STORED, this.uid, { r: [...rooms], e: except ? [...except] : [], d: data });
    const minId = String(Math.max(0, Date.now() - this.ttl));
    return this.client.sendCommand([
      "EVAL",
      APPEND,
      "2",
      `${this.prefix}packets`,
      `${this.prefix}offset:${offset}`,
      minId,
      payload,
      String(this.ttl),
    ]);
  }

  persistSession(session: Session): Promise<unknown> {
    const payload = encodeEnvelope(MessageType.STORED, this.uid, { s: session });
    return this.client.sendCommand(["SET", `${this.prefix}session:${session.pid}`, payload, "PX", String(this.ttl)]);
  }

  dropSession(pid: string): Promise<unknown> {
    return this.client.sendCommand(["DEL", `${this.prefix}session:${pid}`]);
  }

  /**
   * The session of `pid` and the packets it missed after `offset`; null when
   * the session is gone (expired, taken, or never stored).
   */
  async restoreSession(pid: string, offset: string): Promise<RecoveredSession | null> {
    const rawSession = (await this.client.sendCommand(["GETDEL", `${this.prefix}session:${pid}`], AS_BUFFERS)) as Buffer | null;
    if (rawSession === null) return null;
    const session = decodeEnvelope(rawSession)?.header.s as Session | undefined;
    if (session === undefined) return null;
    const entries = (await this.client.sendCommand(
      ["EVAL", MISSED, "2", `${this.prefix}packets`, `${this.prefix}offset:${offset}`, String(this.ttl)],
      AS_BUFFERS,
    )) as [Buffer, Buffer[]][];
    const missedPackets: unknown[][] = [];
    for (const [, fields] of entries) {
      const packet = decodeEnvelope(fields[1])?.header as StoredPacket | undefined;
      if (packet !== undefined && reaches(session.rooms, packet)) missedPackets.push(packet.d);
    }
    return { ...session, missedPackets };
  }
}
