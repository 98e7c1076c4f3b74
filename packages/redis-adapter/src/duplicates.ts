// A message kept through a Redis outage can reach the other nodes twice:
// when the connection dies just after Redis delivered a PUBLISH but before
// its reply arrived, the sender counts it as failed and sends it again. Each
// node numbers those messages (wire.ts: `q`); a receiver remembers the last
// WINDOW numbers of each sender and drops one it already had. A window, not
// just the highest number: on a Redis Cluster with classic pub/sub a PUBLISH
// may enter through any node and reach the subscribers out of order.

const WINDOW = 4096;

export class Duplicates {
  /** Per sender: slot `seq % WINDOW` holds the last number seen there. */
  private readonly seen = new Map<string, { highest: number; slots: Float64Array }>();

  /** Records `seq` from `uid`; false when it was seen already, or is older than the window. */
  isNew(uid: string, seq: number): boolean {
    let sender = this.seen.get(uid);
    if (sender === undefined) {
      sender = { highest: 0, slots: new Float64Array(WINDOW) };
      this.seen.set(uid, sender);
    }
    if (seq <= sender.highest - WINDOW) return false;
    const slot = seq % WINDOW;
    if (sender.slots[slot] === seq) return false;
    sender.slots[slot] = seq;
    if (seq > sender.highest) sender.highest = seq;
    return true;
  }

  /** The node is gone. */
  forget(uid: string): void {
    this.seen.delete(uid);
  }
}
