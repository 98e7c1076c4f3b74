import { Heartbeat } from "./heartbeat";

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function make() {
  const log: string[] = [];
  const hb = new Heartbeat(25000, 20000, { sendPing: () => log.push("ping"), onTimeout: () => log.push("timeout") });
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

test("timers are reused: never more than two exist, whatever the number of cycles", () => {
  const { hb } = make();
  const created = jest.spyOn(global, "setTimeout");
  hb.start();
  for (let i = 0; i < 100; i++) {
    jest.advanceTimersByTime(25000);
    hb.onPong();
  }
  expect(created).toHaveBeenCalledTimes(2);
  expect(jest.getTimerCount()).toBe(1);
  created.mockRestore();
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
