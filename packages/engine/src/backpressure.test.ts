import { Backpressure, packetSize, type BackpressureOwner } from "./backpressure";
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
    bufferedAmount: () => r.amount,
    onCongestion: (congested, amount) => r.events.push(`${congested ? "congested" : "drained"} ${amount}`),
    onSlowConsumer: (description) => r.events.push(`slow consumer: ${description}`),
  };
  return r;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("under or at the limit nothing happens, and no timer is made", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  owner.amount = LIMIT;
  bp.update();
  expect(bp.admit()).toBe(true);
  expect(bp.congested).toBe(false);
  expect(jest.getTimerCount()).toBe(0);
  expect(owner.events).toEqual([]);
});

test("over the limit it is congested; back under within the grace period it drains and stays", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  owner.amount = LIMIT + 1;
  bp.update();
  expect(bp.congested).toBe(true);
  jest.advanceTimersByTime(TIMEOUT - 1);
  owner.amount = 10;
  bp.update();
  expect(bp.congested).toBe(false);
  jest.advanceTimersByTime(TIMEOUT * 4);
  expect(owner.events).toEqual([`congested ${LIMIT + 1}`, "drained 10"]);
  expect(jest.getTimerCount()).toBe(0);
});

test("still over the limit when the grace period ends: a slow consumer, with the figures in the description", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  owner.amount = LIMIT + 500;
  bp.update();
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
  owner.amount = LIMIT * 3;
  bp.update();
  owner.amount = LIMIT; // a socket's writableLength shrinks silently
  jest.advanceTimersByTime(TIMEOUT);
  expect(owner.events).toEqual([`congested ${LIMIT * 3}`, `drained ${LIMIT}`]);
  expect(bp.congested).toBe(false);
});

test("a burst in one turn is admitted whatever its size; one turn later the session may grow by the limit, no more", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  // One turn: a burst of 5 x LIMIT queued.
  for (let i = 0; i < 5; i++) {
    expect(bp.admit()).toBe(true);
    owner.amount += LIMIT;
    bp.update();
  }
  expect(owner.events).toEqual([`congested ${2 * LIMIT}`]);
  expect(bp.admit()).toBe(true); // still the same turn
  jest.advanceTimersToNextTimer(); // the next turn: the immediate takes the base
  // base = 5 x LIMIT: LIMIT more is allowed.
  owner.amount = 6 * LIMIT - 1;
  expect(bp.admit()).toBe(true);
  owner.amount = 6 * LIMIT;
  expect(bp.admit()).toBe(false);
  expect(owner.events.at(-1)).toBe(
    `slow consumer: ${6 * LIMIT} bytes buffered for the client, maxBackpressure (${LIMIT}) more than the ${5 * LIMIT} it held once congested`,
  );
});

test("the base is at least the limit: a session congested by a few bytes may hold twice the limit", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  owner.amount = LIMIT + 1;
  bp.update();
  owner.amount = 0; // the next turn finds less than the limit (the transport took some)
  jest.advanceTimersToNextTimer();
  owner.amount = 2 * LIMIT - 1;
  expect(bp.admit()).toBe(true);
  owner.amount = 2 * LIMIT;
  expect(bp.admit()).toBe(false);
});

test("stop() clears both timers", () => {
  const owner = recorder();
  const bp = new Backpressure(LIMIT, TIMEOUT, owner);
  owner.amount = LIMIT * 2;
  bp.update();
  expect(jest.getTimerCount()).toBe(2);
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
