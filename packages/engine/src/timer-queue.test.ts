import { onDue, TimerQueue, type QueueEntry } from "./timer-queue";

/** An entry that records when it came due and may re-queue itself from its callback. */
class Entry implements QueueEntry {
  queuePrevious: QueueEntry | null = null;
  queueNext: QueueEntry | null = null;
  queueDue = 0;
  readonly firedAt: number[] = [];
  addedAt = 0;

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly requeue: ((entry: Entry) => void) | null = null,
  ) {}

  [onDue](): void {
    this.firedAt.push(performance.now());
    this.log.push(this.name);
    this.requeue?.(this);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("with real timers", () => {
  test("entries added at different times each come due delay ms after they were added, in order", async () => {
    const queue = new TimerQueue(60);
    const log: string[] = [];
    const entries = ["a", "b", "c"].map((name) => new Entry(name, log));
    for (const entry of entries) {
      entry.addedAt = performance.now();
      queue.add(entry);
      await sleep(25);
    }
    await sleep(120);
    expect(log).toEqual(["a", "b", "c"]);
    for (const entry of entries) {
      expect(entry.firedAt).toHaveLength(1);
      expect(entry.firedAt[0] - entry.addedAt).toBeGreaterThanOrEqual(60);
    }
  });

  test("an entry that re-queues itself from its callback comes due again, cycle after cycle", async () => {
    const queue = new TimerQueue(20);
    const log: string[] = [];
    const entry = new Entry("x", log, (e) => {
      if (e.firedAt.length < 5) queue.add(e);
    });
    queue.add(entry);
    await sleep(400);
    expect(entry.firedAt).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(entry.firedAt[i] - entry.firedAt[i - 1]).toBeGreaterThanOrEqual(19);
  });

  test("a removed entry does not come due; the others do", async () => {
    const queue = new TimerQueue(30);
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((name) => new Entry(name, log));
    queue.add(a);
    queue.add(b);
    queue.add(c);
    queue.remove(a);
    queue.remove(c);
    await sleep(80);
    expect(log).toEqual(["b"]);
  });
});

describe("with fake timers", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("one timer for the whole queue, and none once it is empty", () => {
    const queue = new TimerQueue(1000);
    const log: string[] = [];
    const entries = Array.from({ length: 100 }, (_, i) => new Entry(String(i), log));
    for (const entry of entries) queue.add(entry);
    expect(jest.getTimerCount()).toBe(1);
    for (const entry of entries.slice(0, 99)) queue.remove(entry);
    expect(jest.getTimerCount()).toBe(1);
    queue.remove(entries[99]);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(log).toEqual([]);
  });

  test("after the head comes due, the timer is re-armed for the next entry's own deadline", () => {
    const queue = new TimerQueue(1000);
    const log: string[] = [];
    queue.add(new Entry("a", log));
    jest.advanceTimersByTime(400);
    queue.add(new Entry("b", log));
    jest.advanceTimersByTime(600);
    expect(log).toEqual(["a"]);
    jest.advanceTimersByTime(399);
    expect(log).toEqual(["a"]);
    jest.advanceTimersByTime(1);
    expect(log).toEqual(["a", "b"]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
