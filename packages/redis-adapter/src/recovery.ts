// Connection state recovery across nodes, seen from the adapter: which
// broadcasts get an offset and are kept, and which sessions are written to
// Redis and when. The Redis side (keys, scripts) is recovery-store.ts.
import type { AdapterNamespace, BroadcastOptions, RecoveredSession, Room, Session } from "@duplex/server";
import { RecoveryStore } from "./recovery-store";
import type { RedisClientLike } from "./redis";

type Packet = Parameters<import("@duplex/server").Adapter["broadcast"]>[0];
const EVENT = 2;

export class Recovery {
  private readonly store: RecoveryStore;
  private offsets = 0;
  /** Live sockets whose session must be written: batched per tick. */
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  /** pids persisted on a recoverable disconnect: their session key must stay. */
  private readonly persisted = new Set<string>();

  constructor(
    private readonly nsp: AdapterNamespace,
    client: RedisClientLike,
    key: string,
    private readonly uid: { hex: string; bytes: Buffer },
    maxDisconnectionDuration: number,
    /** A socket's rooms, as the adapter knows them. */
    private readonly roomsOf: (id: string) => Set<Room> | undefined,
    private readonly onError: (err: Error) => void,
  ) {
    this.store = new RecoveryStore(client, key, nsp.name, uid.bytes, maxDisconnectionDuration);
  }

  /**
   * Gives a broadcast its offset and keeps it, when a client could miss it:
   * events without an ack that are not volatile. The offset is the packet's
   * last argument (socket.io's rule).
   */
  keep(packet: Packet, opts: BroadcastOptions): void {
    if (packet.type !== EVENT || packet.id !== undefined || opts.flags?.volatile) return;
    const offset = `${this.uid.hex}-${(++this.offsets).toString(36)}`;
    packet.data.push(offset);
    this.store.append(offset, opts.rooms, opts.except, packet.data).catch(this.onError);
  }

  /** Rewrites every live session, so they outlive this node (if it dies) by maxDisconnectionDuration and carry fresh socket.data. */
  refreshAll(): void {
    for (const id of this.nsp.sockets.keys()) this.markDirty(id);
  }

  /**
   * A connected socket's session is kept in Redis too (not only on
   * disconnect, which a SIGKILLed node never reaches), so its client
   * recovers on another node.
   */
  markDirty(id: string): void {
    this.dirty.add(id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const sid of this.dirty) {
        const socket = this.nsp.sockets.get(sid);
        const rooms = this.roomsOf(sid);
        if (socket?.pid === undefined || rooms === undefined) continue;
        this.store.persistSession({ sid, pid: socket.pid, rooms: [...rooms], data: socket.data }).catch(this.onError);
      }
      this.dirty.clear();
    });
  }

  /**
   * A socket left the namespace. A disconnect that cannot be recovered (the
   * client left) drops the live session; `pid` is read before the adapter
   * forgets the socket.
   */
  left(id: string, pid: string | undefined): void {
    this.dirty.delete(id);
    if (pid === undefined) return;
    if (!this.persisted.delete(pid)) this.store.dropSession(pid).catch(this.onError);
  }

  persistSession(session: Session): Promise<void> {
    this.persisted.add(session.pid);
    return this.store.persistSession(session).then(
      () => undefined,
      (err: Error) => this.onError(err),
    );
  }

  restoreSession(pid: string, offset: string): Promise<RecoveredSession | null> {
    return this.store.restoreSession(pid, offset).catch((err: Error) => {
      this.onError(err);
      return null;
    });
  }
}
