/** Called on an entry once its deadline has passed; the entry is out of its queue by then. */
export const onDue = Symbol("onDue");

/**
 * What waits in a `TimerQueue`. The entry is its own list node, so waiting
 * allocates nothing: the queue only links it.
 */
export interface QueueEntry {
  queuePrevious: QueueEntry | null;
  queueNext: QueueEntry | null;
  /** When the entry is due, in `performance.now()` milliseconds. */
  queueDue: number;
  [onDue](): void;
}

/**
 * Deadlines that all fall `delay` ms after they were set, on one timer for
 * the whole queue. As in Node's own timer lists (one list per duration,
 * lib/internal/timers.js), entries are added at the tail, so the queue is in
 * deadline order: adding and removing are O(1), and only the head is timed.
 *
 * Invariant: outside `onTimer`, the timer is armed if and only if the queue
 * holds an entry, and it fires no later than the head's deadline. An empty
 * queue holds no timer, so it keeps no process alive.
 */
export class TimerQueue {
  private head: QueueEntry | null = null;
  private tail: QueueEntry | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly delay: number) {}

  /** Queues `entry`, which must not be in any queue: it is due `delay` ms from now. */
  add(entry: QueueEntry): void {
    entry.queueDue = performance.now() + this.delay;
    entry.queuePrevious = this.tail;
    entry.queueNext = null;
    if (this.tail === null) this.head = entry;
    else this.tail.queueNext = entry;
    this.tail = entry;
    // An entry that is not the head is due after the head, whose timer is armed
    // (or is re-armed at the end of `onTimer`).
    if (this.head === entry) this.arm(this.delay);
  }

  /** Takes `entry`, which must be in this queue, out of it. */
  remove(entry: QueueEntry): void {
    if (entry.queuePrevious === null) this.head = entry.queueNext;
    else entry.queuePrevious.queueNext = entry.queueNext;
    if (entry.queueNext === null) this.tail = entry.queuePrevious;
    else entry.queueNext.queuePrevious = entry.queuePrevious;
    entry.queuePrevious = null;
    entry.queueNext = null;
    if (this.head === null && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  // The timer callback gets its queue as an argument: no bound function per queue.
  private static onTimer(queue: TimerQueue): void {
    queue.onTimer();
  }

  private onTimer(): void {
    this.timer = null;
    const now = performance.now();
    // Only entries that were queued when the timer fired: one that a callback
    // below adds to this queue is due `delay` later.
    const last = this.tail;
    while (this.head !== null && this.head.queueDue <= now) {
      const entry = this.head;
      this.remove(entry);
      entry[onDue]();
      if (entry === last) break;
    }
    // Node's timers may fire a fraction of a millisecond before the deadline
    // measured here (they count from the event loop's cached time): wait for the rest.
    if (this.head !== null && this.timer === null) this.arm(this.head.queueDue - now);
  }

  private arm(delay: number): void {
    this.timer = setTimeout(TimerQueue.onTimer, Math.max(1, Math.ceil(delay)), this);
  }
}
