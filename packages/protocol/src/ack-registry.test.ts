import { AckError, AckRegistry, type AckCallback } from "@duplex/protocol";

type Outcome = { error: AckError | null; data: unknown[] };

function recorder(): { callback: AckCallback; calls: Outcome[] } {
  const calls: Outcome[] = [];
  return { calls, callback: (error, data) => void calls.push({ error, data }) };
}

describe("AckRegistry with Jest fake timers", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("ids are allocated in order from 0", () => {
    const acks = new AckRegistry();
    expect([acks.add(() => undefined), acks.add(() => undefined), acks.add(() => undefined)]).toEqual([0, 1, 2]);
    expect(acks.size).toBe(3);
  });

  test("settle() calls back once with the data; a second or unknown ack is ignored", () => {
    const acks = new AckRegistry();
    const { callback, calls } = recorder();
    const id = acks.add(callback, 1000);
    expect(acks.settle(id, ["ok", 1])).toBe(true);
    expect(calls).toEqual([{ error: null, data: ["ok", 1] }]);
    expect(acks.settle(id, ["again"])).toBe(false);
    expect(acks.settle(999, [])).toBe(false);
    expect(calls).toHaveLength(1);
    expect(acks.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  test("times out with ACK_TIMEOUT; a late ack is ignored", () => {
    const acks = new AckRegistry();
    const { callback, calls } = recorder();
    const id = acks.add(callback, 500);
    jest.advanceTimersByTime(499);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    const error = calls[0]?.error;
    expect(error).toBeInstanceOf(AckError);
    expect(error?.code).toBe("ACK_TIMEOUT");
    expect(error?.id).toBe(id);
    expect(error?.message).toMatch(/expected an ack for id 0 within 500 ms, got none/);
    expect(calls[0]?.data).toEqual([]);
    expect(acks.settle(id, ["late"])).toBe(false);
    expect(calls).toHaveLength(1);
    expect(acks.size).toBe(0);
  });

  test("no timer is allocated for acks without a timeout (or an infinite one)", () => {
    const acks = new AckRegistry();
    acks.add(() => undefined);
    acks.add(() => undefined, Infinity);
    expect(jest.getTimerCount()).toBe(0);
    acks.add(() => undefined, 10);
    expect(jest.getTimerCount()).toBe(1);
  });

  test("rejectAll() settles every pending ack with ACK_CLOSED, clears timers, retains nothing, stays usable", () => {
    const acks = new AckRegistry();
    const a = recorder();
    const b = recorder();
    acks.add(a.callback, 1000);
    acks.add(b.callback);
    acks.rejectAll("transport close");
    expect(a.calls.map((c) => c.error?.code)).toEqual(["ACK_CLOSED"]);
    expect(b.calls.map((c) => c.error?.code)).toEqual(["ACK_CLOSED"]);
    expect(a.calls[0]?.error?.message).toContain("transport close");
    expect(acks.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(a.calls).toHaveLength(1);
    const c = recorder();
    const id = acks.add(c.callback);
    expect(acks.settle(id, [1])).toBe(true);
    expect(c.calls).toEqual([{ error: null, data: [1] }]);
  });

  test("rejectAll() runs every callback even if one throws, then rethrows the first error", () => {
    const acks = new AckRegistry();
    const b = recorder();
    acks.add(() => {
      throw new Error("first");
    });
    acks.add(b.callback);
    expect(() => acks.rejectAll()).toThrow("first");
    expect(b.calls).toHaveLength(1);
    expect(acks.size).toBe(0);
  });

  test("delete() forgets an ack and its timer without calling it", () => {
    const acks = new AckRegistry();
    const { callback, calls } = recorder();
    const id = acks.add(callback, 100);
    expect(acks.delete(id)).toBe(true);
    expect(acks.delete(id)).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(calls).toEqual([]);
  });

  test("set() registers a caller-chosen id (broadcast acks) and refuses bad or pending ids", () => {
    const acks = new AckRegistry();
    const { callback, calls } = recorder();
    acks.set(42, callback, 100);
    expect(acks.has(42)).toBe(true);
    expect(() => acks.set(42, callback)).toThrow(RangeError);
    expect(() => acks.set(-1, callback)).toThrow(RangeError);
    expect(() => acks.set(1.5, callback)).toThrow(RangeError);
    expect(() => acks.set(1, callback, -5)).toThrow(RangeError);
    expect(() => acks.set(1, callback, NaN)).toThrow(RangeError);
    expect(acks.settle(42, ["x"])).toBe(true);
    expect(calls).toEqual([{ error: null, data: ["x"] }]);
  });

  test("add() skips ids taken with set()", () => {
    const acks = new AckRegistry();
    acks.set(0, () => undefined);
    acks.set(1, () => undefined);
    expect(acks.add(() => undefined)).toBe(2);
  });

  test("a timeout of 0 fires on the next timer tick", () => {
    const acks = new AckRegistry();
    const { callback, calls } = recorder();
    acks.add(callback, 0);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(0);
    expect(calls.map((c) => c.error?.code)).toEqual(["ACK_TIMEOUT"]);
  });
});

describe("AckRegistry with injected timers", () => {
  test("uses the injected setTimeout/clearTimeout, not the global ones", () => {
    const scheduled = new Map<number, () => void>();
    let next = 1;
    const cleared: unknown[] = [];
    const acks = new AckRegistry({
      setTimeout: (callback, _ms, ...args) => {
        const handle = next++;
        scheduled.set(handle, () => callback(...args));
        return handle;
      },
      clearTimeout: (handle) => {
        cleared.push(handle);
        scheduled.delete(handle as number);
      },
    });
    const a = recorder();
    const b = recorder();
    acks.add(a.callback, 10);
    const idB = acks.add(b.callback, 10);
    expect(scheduled.size).toBe(2);
    acks.settle(idB, ["fine"]);
    expect(cleared).toEqual([2]);
    scheduled.get(1)?.();
    expect(a.calls.map((c) => c.error?.code)).toEqual(["ACK_TIMEOUT"]);
    expect(b.calls).toEqual([{ error: null, data: ["fine"] }]);
    expect(acks.size).toBe(0);
  });

  test("an injected setTimeout returning undefined: the timer is still cleared and nothing is left behind", () => {
    const cleared: unknown[] = [];
    const acks = new AckRegistry({ setTimeout: () => undefined, clearTimeout: (handle) => void cleared.push(handle) });
    const id = acks.add(() => undefined, 5);
    acks.settle(id, []);
    expect(cleared).toEqual([undefined]);
    expect(acks.size).toBe(0);
    expect(acks.has(id)).toBe(false);
  });
});

describe("rejectAll with keep", () => {
  test("acks the predicate keeps stay pending, with their timers; the rest are rejected", () => {
    jest.useFakeTimers();
    try {
      const acks = new AckRegistry();
      const outcomes: string[] = [];
      const a = acks.add((err) => outcomes.push(`a:${err?.code ?? "ok"}`), 1000);
      const b = acks.add((err) => outcomes.push(`b:${err?.code ?? "ok"}`), 1000);
      acks.rejectAll("disconnect", (id) => id === b);
      expect(outcomes).toEqual([`a:ACK_CLOSED`]);
      expect(acks.has(a)).toBe(false);
      expect(acks.has(b)).toBe(true);
      jest.advanceTimersByTime(1000);
      expect(outcomes).toEqual([`a:ACK_CLOSED`, `b:ACK_TIMEOUT`]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
