import { Heartbeat, onPingTimeout, sendPing } from "./heartbeat";
import { TimerQueue } from "./timer-queue";

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function make() {
  const log: string[] = [];
  const hb = new Heartbeat(new TimerQueue(25000), new TimerQueue(20000), { [sendPing]: () => log.push("ping"), [onPingTimeout]: () => log.push("timeout") });
  return { hb, log };
}

test("pings every pingInterval while pongs come back", () => {
  const { hb, log } = make();
  hb.start();
  jest.advanceTimersByTime(24999);
  expect(log).toEqual([]);
  for (let i = 1; i <= 5; i++) {
    jest.advanceTimersByTime(i === 1 ? 1 : 25000);
    expect(log).toHaveLength(i);
    jest.advanceTimersByTime(1000);
    expect(hb.onPong()).toBe(true);
  }
  expect(log).toEqual(["ping", "ping", "ping", "ping", "ping"]);
});

test("no pong within pingTimeout times out, once", () => {
  const { hb, log } = make();
  hb.start();
  jest.advanceTimersByTime(25000 + 19999);
  expect(log).toEqual(["ping"]);
  jest.advanceTimersByTime(1);
  expect(log).toEqual(["ping", "timeout"]);
  jest.advanceTimersByTime(100000);
  expect(log).toEqual(["ping", "timeout"]);
});

test("an unsolicited pong does not delay the next ping", () => {
  const { hb, log } = make();
  hb.start();
  jest.advanceTimersByTime(20000);
  expect(hb.onPong()).toBe(false);
  jest.advanceTimersByTime(5000);
  expect(log).toEqual(["ping"]);
});

test("one timer at a time, whatever the number of cycles", () => {
  const { hb } = make();
  hb.start();
  for (let i = 0; i < 100; i++) {
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(25000);
    expect(hb.phase).toBe("pong");
    expect(jest.getTimerCount()).toBe(1);
    hb.onPong();
  }
  expect(hb.phase).toBe("ping");
});

test("a pong deadline holds after many answered pings, not only the first", () => {
  const { hb, log } = make();
  hb.start();
  for (let i = 0; i < 3; i++) {
    jest.advanceTimersByTime(25000);
    hb.onPong();
  }
  jest.advanceTimersByTime(25000 + 19999);
  expect(log).toEqual(["ping", "ping", "ping", "ping"]);
  jest.advanceTimersByTime(1);
  expect(log).toEqual(["ping", "ping", "ping", "ping", "timeout"]);
  expect(hb.phase).toBe("stopped");
});

test("stop() leaves no timer", () => {
  const { hb, log } = make();
  hb.start();
  jest.advanceTimersByTime(25000);
  hb.stop();
  expect(jest.getTimerCount()).toBe(0);
  jest.advanceTimersByTime(100000);
  expect(log).toEqual(["ping"]);
});

describe("with real timers", () => {
  beforeEach(() => jest.useRealTimers());

  test("after answered pings, a missing pong times out pingInterval + pingTimeout after the last pong", async () => {
    const pingInterval = 60;
    const pingTimeout = 40;
    let answered = 0;
    let lastPong = 0;
    const timedOut = new Promise<number>((resolve) => {
      const hb: Heartbeat = new Heartbeat(new TimerQueue(pingInterval), new TimerQueue(pingTimeout), {
        [sendPing]: () => {
          // Answer the first three pings at once, then go silent.
          if (answered < 3) {
            answered++;
            lastPong = Date.now();
            hb.onPong();
          }
        },
        [onPingTimeout]: () => resolve(Date.now()),
      });
      hb.start();
    });
    const at = await timedOut;
    expect(answered).toBe(3);
    expect(at - lastPong).toBeGreaterThanOrEqual(pingInterval + pingTimeout - 2);
    expect(at - lastPong).toBeLessThan(pingInterval + pingTimeout + 200);
  });
});
