/**
 * The other nodes of a namespace, as their heartbeats tell. A node is alive
 * from its first message until it says goodbye (ADAPTER_CLOSE) or stays
 * silent longer than `timeout`; `onGone` then runs so pending requests stop
 * waiting for it.
 */
export class NodeTracker {
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly timeout: number,
    private readonly onGone: (uid: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.lastSeen.size;
  }

  /** The uids of the nodes alive now. */
  uids(): Set<string> {
    return new Set(this.lastSeen.keys());
  }

  has(uid: string): boolean {
    return this.lastSeen.has(uid);
  }

  /** Records a sign of life; true when the node was not known. */
  seen(uid: string): boolean {
    const isNew = !this.lastSeen.has(uid);
    this.lastSeen.set(uid, this.now());
    return isNew;
  }

  /** Counts every known node as seen now: after an outage, when nobody could be heard. */
  touchAll(): void {
    const now = this.now();
    for (const uid of this.lastSeen.keys()) this.lastSeen.set(uid, now);
  }

  remove(uid: string): void {
    if (this.lastSeen.delete(uid)) this.onGone(uid);
  }

  /** Drops every node silent for longer than the timeout. */
  sweep(): void {
    const threshold = this.now() - this.timeout;
    for (const [uid, at] of this.lastSeen) if (at < threshold) this.remove(uid);
  }

  clear(): void {
    for (const uid of [...this.lastSeen.keys()]) this.remove(uid);
  }
}
