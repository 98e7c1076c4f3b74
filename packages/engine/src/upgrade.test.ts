import type { Packet } from "engine.io-parser";
import { NOOP_HANDLER, onClose, onPacket, type CloseMode, type Transport, type TransportHandler } from "./transports/transport";
import { onProbed, onUpgradeFailed, onUpgraded, Upgrade, type UpgradeOwner } from "./upgrade";

/** A transport of our own interface that records what the upgrade does with it. */
class RecordingTransport implements Transport {
  readonly name = "websocket" as const;
  readonly writable = true;
  readonly bufferedAmount = 0;
  handler: TransportHandler = NOOP_HANDLER;
  sent: Packet[] = [];
  closes: CloseMode[] = [];
  send(packets: readonly Packet[]): void {
    this.sent.push(...packets);
  }
  write(): boolean {
    return false;
  }
  writeMessage(): boolean {
    return false;
  }
  close(mode: CloseMode): void {
    this.closes.push(mode);
    this.handler[onClose]("transport close", "closed");
  }
}

function owner(): UpgradeOwner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    [onProbed]: () => calls.push("probed"),
    [onUpgraded]: () => calls.push("upgraded"),
    [onUpgradeFailed]: (d) => calls.push(`failed: ${d}`),
  };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("probing → probed → upgraded", () => {
  const t = new RecordingTransport();
  const o = owner();
  const up = new Upgrade(t, o, 10000);
  expect(t.handler).toBe(up);
  expect(up.state).toBe("probing");
  up[onPacket]({ type: "ping", data: "probe" });
  expect(t.sent).toEqual([{ type: "pong", data: "probe" }]);
  expect(up.state).toBe("probed");
  up[onPacket]({ type: "upgrade" });
  expect(up.state).toBe("upgraded");
  expect(o.calls).toEqual(["probed", "upgraded"]);
  expect(jest.getTimerCount()).toBe(0);
});

test("no upgrade within upgradeTimeout fails and closes the transport", () => {
  const t = new RecordingTransport();
  const o = owner();
  const up = new Upgrade(t, o, 10000);
  up[onPacket]({ type: "ping", data: "probe" });
  jest.advanceTimersByTime(9999);
  expect(up.state).toBe("probed");
  jest.advanceTimersByTime(1);
  expect(up.state).toBe("failed");
  expect(t.closes).toEqual(["now"]);
  expect(o.calls).toEqual(["probed", "failed: no upgrade within upgradeTimeout (10000 ms)"]);
});

test.each<[string, Packet[]]>([
  ["a message before the probe", [{ type: "message", data: "x" }]],
  ["a ping that is not a probe", [{ type: "ping", data: "nope" }]],
  ["upgrade before the probe", [{ type: "upgrade" }]],
  ["a second probe", [{ type: "ping", data: "probe" }, { type: "ping", data: "probe" }]],
])("%s fails the upgrade once", (_name, packets) => {
  const t = new RecordingTransport();
  const o = owner();
  const up = new Upgrade(t, o, 10000);
  for (const p of packets) up[onPacket](p);
  expect(up.state).toBe("failed");
  expect(o.calls.filter((c) => c.startsWith("failed"))).toHaveLength(1);
  expect(jest.getTimerCount()).toBe(0);
});

test("the transport closing during the probe fails the upgrade without closing it again", () => {
  const t = new RecordingTransport();
  const o = owner();
  const up = new Upgrade(t, o, 10000);
  up[onClose]("transport error", "reset");
  expect(up.pending).toBe(false);
  expect(t.closes).toEqual([]);
  expect(o.calls).toEqual(["failed: transport error during upgrade: reset"]);
  up.fail("again");
  expect(o.calls).toHaveLength(1);
});
