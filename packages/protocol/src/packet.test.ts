import { PacketType, RESERVED_EVENTS, isAckId, isPacket, isReservedEvent } from "@duplex/protocol";

test("packet type numbers are the protocol's", () => {
  expect(PacketType).toEqual({ CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5, BINARY_ACK: 6 });
});

test("reserved event names", () => {
  expect([...RESERVED_EVENTS].sort()).toEqual(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);
  expect(isReservedEvent("disconnect")).toBe(true);
  expect(isReservedEvent("error")).toBe(false);
  expect(isReservedEvent(1)).toBe(false);
});

test("isAckId", () => {
  expect([0, 1, Number.MAX_SAFE_INTEGER].every(isAckId)).toBe(true);
  expect([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, "1", null].some(isAckId)).toBe(false);
});

describe("isPacket", () => {
  test.each<[string, unknown]>([
    ["CONNECT", { type: 0, nsp: "/" }],
    ["CONNECT with data", { type: 0, nsp: "/a", data: { x: 1 } }],
    ["DISCONNECT", { type: 1, nsp: "/" }],
    ["EVENT", { type: 2, nsp: "/", data: ["e"] }],
    ["EVENT with id and numeric name", { type: 2, nsp: "/", id: 0, data: [1] }],
    ["ACK", { type: 3, nsp: "/", id: 1, data: [] }],
    ["CONNECT_ERROR string", { type: 4, nsp: "/", data: "no" }],
    ["BINARY_EVENT", { type: 5, nsp: "/", data: ["e", new Uint8Array(1)] }],
    ["BINARY_ACK", { type: 6, nsp: "/", id: 2, data: [new Uint8Array(1)] }],
  ])("accepts %s", (_name, value) => {
    expect(isPacket(value)).toBe(true);
  });

  test.each<[string, unknown]>([
    ["null", null],
    ["an array", [2, "/"]],
    ["unknown type", { type: 7, nsp: "/" }],
    ["fractional type", { type: 2.5, nsp: "/", data: ["e"] }],
    ["string type", { type: "2", nsp: "/", data: ["e"] }],
    ["namespace without slash", { type: 0, nsp: "a" }],
    ["missing namespace", { type: 0 }],
    ["ACK without id", { type: 3, nsp: "/", data: [] }],
    ["CONNECT with id", { type: 0, nsp: "/", id: 1 }],
    ["EVENT with negative id", { type: 2, nsp: "/", id: -1, data: ["e"] }],
    ["EVENT without name", { type: 2, nsp: "/", data: [] }],
    ["EVENT named by an object", { type: 2, nsp: "/", data: [{}] }],
    ["DISCONNECT with data", { type: 1, nsp: "/", data: {} }],
    ["CONNECT_ERROR without data", { type: 4, nsp: "/" }],
    ["CONNECT with array data", { type: 0, nsp: "/", data: [] }],
  ])("rejects %s", (_name, value) => {
    expect(isPacket(value)).toBe(false);
  });
});
