// What this node publishes while Redis cannot be reached: kept in order, up
// to a number of bytes, and sent when Redis is back. Past the bound the
// oldest messages go first, and are counted.

export interface OutboxEntry {
  /** The message's sequence number: its place in this node's order. */
  seq: number;
  message: Buffer;
}

export class Outbox {
  private entries: OutboxEntry[] = [];
  /** Index of the oldest entry still kept (entries before it were taken or dropped). */
  private head = 0;
  private bytes = 0;
  /** Messages dropped to stay within the bound, since the adapter started. */
  dropped = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Keeps a message after the newest. */
  push(entry: OutboxEntry): void {
    this.entries.push(entry);
    this.added(entry);
  }

  /**
   * Puts back a message that was handed to Redis and failed: a message sent
   * just before the outage was noticed can fail after newer ones were kept,
   * so it goes where its sequence number says.
   */
  putBack(entry: OutboxEntry): void {
    let at = this.entries.length;
    while (at > this.head && this.entries[at - 1].seq > entry.seq) at--;
    this.entries.splice(at, 0, entry);
    this.added(entry);
  }

  /** Takes every message kept, oldest first, and empties the outbox. */
  takeAll(): OutboxEntry[] {
    const all = this.entries.slice(this.head);
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    return all;
  }

  private added(entry: OutboxEntry): void {
    this.bytes += entry.message.length;
    while (this.bytes > this.maxBytes && this.size > 0) {
      this.bytes -= this.entries[this.head].message.length;
      this.head++;
      this.dropped++;
    }
    // Drop the taken slots once they are the larger part of the array.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
