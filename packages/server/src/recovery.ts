import type { Packet } from "@duplex/protocol";
import { Adapter, type AdapterNamespace, type BroadcastOptions, type RecoveredSession, type Room, type Session } from "./adapter";

/** Options of connection state recovery (`connectionStateRecovery`), with socket.io's defaults. */
export interface RecoveryOptions {
  /** How long a disconnected socket's state is kept, in ms. Default 120000. */
  maxDisconnectionDuration: number;
  /** Whether a recovered socket skips the namespace middlewares. Default true. */
  skipMiddlewares: boolean;
}

interface StoredPacket {
  offset: string;
  rooms: Set<Room>;
  except: Set<Room> | undefined;
  data: unknown[];
  emittedAt: number;
}

interface StoredSession extends Session {
  disconnectedAt: number;
}

let offsetCounter = 0;
/** A per-process unique, increasing offset; the random prefix keeps restarts apart. */
const OFFSET_PREFIX = Math.random().toString(36).slice(2, 8);
function nextOffset(): string {
  offsetCounter++;
  return `${OFFSET_PREFIX}-${offsetCounter.toString(36)}`;
}

/** The counter of an offset this process issued; undefined for any other string. */
function counterOf(offset: string): number | undefined {
  if (!offset.startsWith(`${OFFSET_PREFIX}-`)) return undefined;
  const counter = parseInt(offset.slice(OFFSET_PREFIX.length + 1), 36);
  return Number.isSafeInteger(counter) ? counter : undefined;
}

function reaches(sessionRooms: readonly Room[], packet: StoredPacket): boolean {
  const included = packet.rooms.size === 0 || sessionRooms.some((room) => packet.rooms.has(room));
  const except = packet.except;
  return included && (except === undefined || sessionRooms.every((room) => !except.has(room)));
}

/**
 * The in-memory adapter with connection state recovery: each event packet it
 * broadcasts (no ack, not volatile) gets an offset appended as its last
 * argument and is kept for `maxDisconnectionDuration`; a disconnected socket's
 * session is kept as long. A client that comes back with its `pid` and the
 * last offset it saw gets its id, rooms, data and the packets it missed.
 */
export class RecoveryAdapter extends Adapter {
  private readonly sessions = new Map<string, StoredSession>();
  private packets: StoredPacket[] = [];
  /**
   * The counter of the newest packet the sweeper dropped (0: none yet). A
   * client whose last packet was dropped is a quiet one: it heard nothing
   * for longer than maxDisconnectionDuration, so every kept packet is newer
   * than its last, and none reached it (it would hold a newer offset). It
   * missed exactly the kept packets that reach its rooms.
   */
  private newestSwept = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    nsp: AdapterNamespace,
    private readonly maxDisconnectionDuration: number,
    private readonly now: () => number = Date.now,
  ) {
    super(nsp);
    // One timer for all sessions and packets, not one per disconnect.
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, maxDisconnectionDuration))).unref();
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (packet.type === 2 && packet.id === undefined && !opts.flags?.volatile) {
      const offset = nextOffset();
      packet.data.push(offset);
      this.packets.push({ offset, rooms: opts.rooms, except: opts.except, data: packet.data, emittedAt: this.now() });
    }
    super.broadcast(packet, opts);
  }

  override persistSession(session: Session): void {
    this.sessions.set(session.pid, { ...session, disconnectedAt: this.now() });
  }

  override restoreSession(pid: string, offset: string): Promise<RecoveredSession | null> {
    const session = this.sessions.get(pid);
    if (session === undefined) return Promise.resolve(null);
    this.sessions.delete(pid);
    if (session.disconnectedAt + this.maxDisconnectionDuration < this.now()) return Promise.resolve(null);
    // -1 for an offset that was swept: replay every kept packet.
    const index = this.packets.findIndex((p) => p.offset === offset);
    if (index === -1 && !this.wasSwept(offset)) return Promise.resolve(null);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.packets.length; i++) {
      if (reaches(session.rooms, this.packets[i])) missedPackets.push(this.packets[i].data);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  private wasSwept(offset: string): boolean {
    const counter = counterOf(offset);
    return counter !== undefined && counter <= this.newestSwept;
  }

  override close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.packets = [];
  }

  /** Drops expired sessions and packets. */
  sweep(): void {
    const threshold = this.now() - this.maxDisconnectionDuration;
    for (const [pid, session] of this.sessions) if (session.disconnectedAt < threshold) this.sessions.delete(pid);
    let expired = 0;
    while (expired < this.packets.length && this.packets[expired].emittedAt < threshold) expired++;
    if (expired > 0) {
      this.newestSwept = counterOf(this.packets[expired - 1].offset) ?? this.newestSwept;
      this.packets = this.packets.slice(expired);
    }
  }
}
