import { AckError, AckRegistry } from "@duplex/protocol";

/** An error-first ack that records every call. */
function recorder(): { ack: (...args: unknown[]) => void; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return { calls, ack: (...args) => void calls.push(args) };
}

describe("AckRegistry with Jest fake timers", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("settle() calls an error-first ack once with (null, ...data); a second or unknown ack is ignored", () => {
    const acks = new AckRegistry();
    const { ack, calls } = recorder();
    acks.set(0, ack, true, 1000);
    expect(acks.settle(0, ["ok", 1])).toBe(true);
    expect(calls).toEqual([[null, "ok", 1]]);
    expect(acks.settle(0, ["again"])).toBe(false);
    expect(acks.settle(999, [])).toBe(false);
    expect(calls).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  test("a plain ack gets (...data) on an answer, and nothing on a timeout or a disconnection", () => {
    const acks = new AckRegistry();
    const { ack, calls } = recorder();
    acks.set(1, ack, false, 100);
    acks.set(2, ack, false, 100);
    acks.set(3, ack, false);
    expect(acks.settle(1, ["a", "b"])).toBe(true);
    jest.advanceTimersByTime(100);
    acks.rejectAll();
    expect(calls).toEqual([["a", "b"]]);
    expect(acks.settle(2, [])).toBe(false);
    expect(acks.settle(3, [])).toBe(false);
  });

  test("times out with ACK_TIMEOUT and socket.io's message; a late ack is ignored", () => {
    const acks = new AckRegistry();
    const { ack, calls } = recorder();
    acks.set(0, ack, true, 500);
    jest.advanceTimersByTime(499);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    const error = calls[0][0] as AckError;
    expect(error).toBeInstanceOf(AckError);
    expect(error.code).toBe("ACK_TIMEOUT");
    expect(error.id).toBe(0);
    expect(error.message).toBe("operation has timed out");
    expect(acks.settle(0, ["late"])).toBe(false);
    expect(calls).toHaveLength(1);
  });

  test("the handler hears of a timeout before the ack does", () => {
    const order: string[] = [];
    const acks = new AckRegistry({ onTimeout: (id) => order.push(`handler ${id}`) });
    acks.set(7, () => order.push("ack"), true, 10);
    acks.set(8, () => order.push("settled"), true, 10);
    acks.settle(8, []);
    jest.advanceTimersByTime(10);
    expect(order).toEqual(["settled", "handler 7", "ack"]);
  });

  test("no timer is allocated for acks without a timeout (or an infinite one)", () => {
    const acks = new AckRegistry();
    acks.set(0, () => undefined, true);
    acks.set(1, () => undefined, true, Infinity);
    expect(jest.getTimerCount()).toBe(0);
    acks.set(2, () => undefined, true, 10);
    expect(jest.getTimerCount()).toBe(1);
  });

  test("rejectAll() fails every pending ack with ACK_CLOSED, clears timers, retains nothing, stays usable", () => {
    const acks = new AckRegistry();
    const a = recorder();
    const b = recorder();
    acks.set(0, a.ack, true, 1000);
    acks.set(1, b.ack, true);
    acks.rejectAll();
    expect(a.calls.map(([error]) => (error as AckError).code)).toEqual(["ACK_CLOSED"]);
    expect(b.calls.map(([error]) => (error as AckError).code)).toEqual(["ACK_CLOSED"]);
    expect((a.calls[0][0] as AckError).message).toBe("socket has been disconnected");
    expect(acks.settle(0, [])).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(a.calls).toHaveLength(1);
    const c = recorder();
    acks.set(2, c.ack, true);
    expect(acks.settle(2, [1])).toBe(true);
    expect(c.calls).toEqual([[null, 1]]);
  });

  test("rejectAll() runs every ack even if one throws, then rethrows the first error", () => {
    const acks = new AckRegistry();
    const b = recorder();
    acks.set(0, () => {
      throw new Error("first");
    }, true);
    acks.set(1, b.ack, true);
    expect(() => acks.rejectAll()).toThrow("first");
    expect(b.calls).toHaveLength(1);
    expect(acks.settle(1, [])).toBe(false);
  });

  test("a timeout of 0 fires on the next timer tick", () => {
    const acks = new AckRegistry();
    const { ack, calls } = recorder();
    acks.set(0, ack, true, 0);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(0);
    expect(calls.map(([error]) => (error as AckError).code)).toEqual(["ACK_TIMEOUT"]);
  });

  test("rejectAll with keep: the acks it keeps stay pending, with their timers; the rest fail", () => {
    const acks = new AckRegistry();
    const outcomes: string[] = [];
    acks.set(0, (err?: AckError) => outcomes.push(`a:${err?.code ?? "ok"}`), true, 1000);
    acks.set(1, (err?: AckError) => outcomes.push(`b:${err?.code ?? "ok"}`), true, 1000);
    acks.rejectAll((id) => id === 1);
    expect(outcomes).toEqual(["a:ACK_CLOSED"]);
    expect(acks.settle(0, [])).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(outcomes).toEqual(["a:ACK_CLOSED", "b:ACK_TIMEOUT"]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
