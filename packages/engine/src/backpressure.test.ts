import { Backpressure, measureBuffered, onCongestion, onSlowConsumer, packetSize, type BackpressureOwner } from "./backpressure";
import { resolveOptions } from "./options";
import { PreparedMessage } from "./prepared";

/** The policy alone, with fake timers: a recording owner whose amount the test sets. */

const LIMIT = 1000;
const TIMEOUT = 500;

interface Recorder extends BackpressureOwner {
  amount: number;
  events: string[];
}

function recorder(): Recorder {
  const r: Recorder = {
    amount: 0,
    events: [],
    [measureBuffered]: () => r.amount,
    [onCongestion]: (congested, amount) => r.events.push(`${congested ? "congested" : "drained"} ${amount}`),
    [onSlowConsumer]: (description) => r.events.push(`slow consumer: ${description}`),
  };
  return r;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Sets the amount and tells the policy, as the session does after queuing or writing. */
function set(owner: Recorder, bp: Backpressure, amount: number): void {
  owner.amount = amount;
  bp.update();
}

/** Runs the immediate the policy scheduled: the next turn of the event loop. */
function nextTurn(): void {
  jest.advanceTimersToNextTimer();
}

test("under or at the limit nothing happens, and no timer is made", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, LIMIT);
  expect(bp.admit()).toBe(true);
  expect(bp.congested).toBe(false);
  expect(jest.getTimerCount()).toBe(0);
  expect(owner.events).toEqual([]);
});

test("over the limit within one turn only (a burst the transport took): not congested, no event", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, 5 * LIMIT);
  expect(bp.congested).toBe(false);
  owner.amount = 0; // the transport handed it to the network on the next turn
  nextTurn();
  expect(bp.congested).toBe(false);
  expect(jest.getTimerCount()).toBe(0);
  expect(owner.events).toEqual([]);
});

test("still over the limit one turn later: congested; back under within the grace period: drained, and it stays", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, LIMIT + 1);
  nextTurn();
  expect(bp.congested).toBe(true);
  jest.advanceTimersByTime(TIMEOUT - 1);
  set(owner, bp, 10);
  expect(bp.congested).toBe(false);
  jest.advanceTimersByTime(TIMEOUT * 4);
  expect(owner.events).toEqual([`congested ${LIMIT + 1}`, "drained 10"]);
  expect(jest.getTimerCount()).toBe(0);
});

test("still over the limit when the grace period ends: a slow consumer, with the figures in the description", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, LIMIT + 500);
  nextTurn();
  jest.advanceTimersByTime(TIMEOUT - 1);
  expect(owner.events).toEqual([`congested ${LIMIT + 500}`]);
  jest.advanceTimersByTime(1);
  expect(owner.events[1]).toBe(
    `slow consumer: ${LIMIT + 500} bytes buffered for the client, over maxBackpressure (${LIMIT}) for ${TIMEOUT} ms (backpressureTimeout ${TIMEOUT})`,
  );
});

test("a buffer that shrank without an event is found drained when the grace period ends", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, LIMIT * 3);
  nextTurn();
  owner.amount = LIMIT; // a socket's writableLength shrinks silently
  jest.advanceTimersByTime(TIMEOUT);
  expect(owner.events).toEqual([`congested ${LIMIT * 3}`, `drained ${LIMIT}`]);
  expect(bp.congested).toBe(false);
});

test("a burst in one turn is admitted whatever its size; once congested the session may grow by the limit, no more", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  for (let i = 0; i < 5; i++) {
    expect(bp.admit()).toBe(true);
    set(owner, bp, owner.amount + LIMIT);
  }
  expect(owner.events).toEqual([]);
  nextTurn();
  expect(owner.events).toEqual([`congested ${5 * LIMIT}`]);
  owner.amount = 6 * LIMIT - 1;
  expect(bp.admit()).toBe(true);
  owner.amount = 6 * LIMIT;
  expect(bp.admit()).toBe(false);
  expect(owner.events.at(-1)).toBe(
    `slow consumer: ${6 * LIMIT} bytes buffered for the client, maxBackpressure (${LIMIT}) more than the ${5 * LIMIT} it held once congested`,
  );
});

test("stop() clears the timers", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  set(owner, bp, LIMIT * 2);
  expect(jest.getTimerCount()).toBe(1);
  bp.stop();
  expect(jest.getTimerCount()).toBe(0);
  set(owner, bp, LIMIT * 2);
  nextTurn();
  expect(jest.getTimerCount()).toBe(1);
  bp.stop();
  expect(jest.getTimerCount()).toBe(0);
  expect(bp.congested).toBe(false);
});

test("packetSize counts the data and the type byte", () => {
  expect(packetSize({ type: "ping" })).toBe(1);
  expect(packetSize({ type: "message", data: "hello" })).toBe(6);
  expect(packetSize({ type: "message", data: Buffer.alloc(10) })).toBe(11);
  expect(packetSize({ type: "message", data: new Uint8Array(7) })).toBe(8);
  expect(packetSize({ type: "message", data: new ArrayBuffer(3) })).toBe(4);
  expect(packetSize({ type: "message", data: new PreparedMessage("abc") as never })).toBe(4);
});

test("the defaults: maxBackpressure 128 KiB, backpressureTimeout 10 s", () => {
  const resolved = resolveOptions({});
  expect(resolved.maxBackpressure).toBe(131072);
  expect(resolved.backpressureTimeout).toBe(10000);
  expect(resolveOptions({ maxBackpressure: 1, backpressureTimeout: 2 })).toMatchObject({ maxBackpressure: 1, backpressureTimeout: 2 });
});
