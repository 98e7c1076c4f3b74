import { Encoder, EncodeError, PacketType, type Packet } from "@duplex/protocol";
import { Encoder as ReferenceEncoder } from "socket.io-parser";

const encoder = new Encoder();
const reference = new ReferenceEncoder();

/** Our output, after checking it equals socket.io-parser's for the same packet. */
function encodeLikeReference(packet: Packet): unknown[] {
  const ours = encoder.encode(packet);
  const theirs = reference.encode(structuredCloneShallow(packet));
  expect(ours[0]).toBe(theirs[0]);
  expect(ours.length).toBe(theirs.length);
  for (let i = 1; i < ours.length; i++) expect(ours[i]).toBe(theirs[i]);
  return ours;
}

// socket.io-parser mutates a BINARY_* packet it is given; hand it a copy of the envelope.
function structuredCloneShallow(packet: Packet): Packet {
  return { ...packet };
}

describe("Encoder: every packet kind, byte-identical to socket.io-parser", () => {
  test.each<[string, Packet, string]>([
    ["CONNECT", { type: 0, nsp: "/" }, "0"],
    ["CONNECT with auth, named namespace", { type: 0, nsp: "/admin", data: { token: "t" } }, '0/admin,{"token":"t"}'],
    ["DISCONNECT", { type: 1, nsp: "/chat" }, "1/chat,"],
    ["EVENT", { type: 2, nsp: "/", data: ["hello", 1, { a: [true, null] }] }, '2["hello",1,{"a":[true,null]}]'],
    ["EVENT with ack id", { type: 2, nsp: "/chat", id: 12, data: ["m"] }, '2/chat,12["m"]'],
    ["EVENT with ack id 0", { type: 2, nsp: "/", id: 0, data: ["m"] }, '20["m"]'],
    ["ACK", { type: 3, nsp: "/", id: 5, data: [] }, "35[]"],
    ["CONNECT_ERROR object", { type: 4, nsp: "/", data: { message: "no" } }, '4{"message":"no"}'],
    ["CONNECT_ERROR string", { type: 4, nsp: "/x", data: "no" }, '4/x,"no"'],
    ["empty namespace is the main one", { type: 2, nsp: "", data: ["e"] }, '2["e"]'],
  ])("%s", (_name, packet, text) => {
    expect(encodeLikeReference(packet)).toEqual([text]);
  });

  test("EVENT with binary becomes BINARY_EVENT; every binary form is an attachment, in order", () => {
    const buf = Buffer.from([1]);
    const ab = new ArrayBuffer(2);
    const u16 = new Uint16Array([3]);
    const f64 = new Float64Array([0.5]);
    const dv = new DataView(new ArrayBuffer(4));
    const blob = new Blob(["x"]);
    const out = encodeLikeReference({ type: 2, nsp: "/b", id: 3, data: ["up", buf, { ab, list: [u16, { f64 }] }, dv, blob] });
    expect(out[0]).toBe(
      '56-/b,3["up",{"_placeholder":true,"num":0},{"ab":{"_placeholder":true,"num":1},"list":[{"_placeholder":true,"num":2},{"f64":{"_placeholder":true,"num":3}}]},{"_placeholder":true,"num":4},{"_placeholder":true,"num":5}]',
    );
    expect(out.slice(1)).toEqual([buf, ab, u16, f64, dv, blob]);
    expect(out[1]).toBe(buf);
  });

  test("ACK with binary becomes BINARY_ACK", () => {
    const out = encodeLikeReference({ type: 3, nsp: "/", id: 9, data: [new Uint8Array([1])] });
    expect(out[0]).toBe('61-9[{"_placeholder":true,"num":0}]');
  });

  test("the caller's data is not modified", () => {
    const data: [string, ...unknown[]] = ["e", { b: new Uint8Array(1) }];
    encoder.encode({ type: 2, nsp: "/", data });
    expect((data[1] as { b: unknown }).b).toBeInstanceOf(Uint8Array);
  });

  test("toJSON is followed as socket.io-parser follows it, binary found behind it", () => {
    const hidden = new Uint8Array([1]);
    const viaToJSON = { toJSON: () => ({ inner: hidden }) };
    const out = encodeLikeReference({ type: 2, nsp: "/", data: ["e", viaToJSON] });
    expect(out[0]).toBe('51-["e",{"inner":{"_placeholder":true,"num":0}}]');
    expect(out[1]).toBe(hidden);
  });

  test("toJSON, Dates, undefined, functions, NaN, sparse arrays, class instances, Map, boxed values", () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    const odd = [
      new Date(0),
      { toJSON: () => "custom" },
      { toJSON: () => ({ toJSON: () => "not called twice" }) },
      undefined,
      () => 1,
      NaN,
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      new Point(1, 2),
      new Map([["a", 1]]),
      { u: undefined, f: () => 1, n: null, z: 0, e: "" },
      new Number(3),
      new String("ab"),
      new Boolean(false),
    ];
    for (const withBinary of [false, true]) {
      const data: [string, ...unknown[]] = ["e", ...odd];
      if (withBinary) data.push(new Uint8Array(1));
      encodeLikeReference({ type: 2, nsp: "/", data });
    }
    expect(encoder.encode({ type: 2, nsp: "/", data: ["e", new Date(0)] })).toEqual(['2["e","1970-01-01T00:00:00.000Z"]']);
  });

  test("an explicit BINARY_EVENT is encoded from its binary values", () => {
    const out = encoder.encode({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["e", new Uint8Array(1)] });
    expect(out[0]).toBe('51-["e",{"_placeholder":true,"num":0}]');
  });

  test("an explicit BINARY_EVENT without binary is written as a plain EVENT (never \"50-\")", () => {
    expect(encoder.encode({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["e"] })).toEqual(['2["e"]']);
    expect(encoder.encode({ type: PacketType.BINARY_ACK, nsp: "/", id: 1, data: [] })).toEqual(["31[]"]);
  });

  test("the replacer option is passed to JSON.stringify", () => {
    const withReplacer = new Encoder({ replacer: (_k, v) => (typeof v === "number" ? v * 2 : v) });
    expect(withReplacer.encode({ type: 2, nsp: "/", data: ["e", 2] })).toEqual(['2["e",4]']);
  });

  test("an own __proto__ key is kept as data in binary packets (socket.io-parser drops it)", () => {
    const data = JSON.parse('["e",{"__proto__":{"x":1},"b":0}]') as [string, Record<string, unknown>];
    data[1].b = new Uint8Array(1);
    const out = encoder.encode({ type: 2, nsp: "/", data });
    expect(out[0]).toBe('51-["e",{"__proto__":{"x":1},"b":{"_placeholder":true,"num":0}}]');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe("Encoder: refusals are coded EncodeErrors", () => {
  function codeOf(packet: unknown): string | undefined {
    try {
      encoder.encode(packet as Packet);
    } catch (error) {
      expect(error).toBeInstanceOf(EncodeError);
      return (error as EncodeError).code;
    }
    return undefined;
  }

  test("unknown type, namespace without slash, bad ack id", () => {
    expect(codeOf({ type: 7, nsp: "/" })).toBe("INVALID_PACKET");
    expect(codeOf({ type: -1, nsp: "/" })).toBe("INVALID_PACKET");
    expect(codeOf({ type: 2, nsp: "chat", data: ["e"] })).toBe("INVALID_PACKET");
    expect(codeOf({ type: 2, nsp: "/", id: -1, data: ["e"] })).toBe("INVALID_PACKET");
    expect(codeOf({ type: 2, nsp: "/", id: 1.5, data: ["e"] })).toBe("INVALID_PACKET");
    expect(codeOf({ type: 2, nsp: "/", id: "1", data: ["e"] })).toBe("INVALID_PACKET");
  });

  test("circular data, BigInt and a throwing toJSON are UNSERIALIZABLE_DATA, with and without binary", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(codeOf({ type: 2, nsp: "/", data: ["e", circular] })).toBe("UNSERIALIZABLE_DATA");
    expect(codeOf({ type: 2, nsp: "/", data: ["e", 1n] })).toBe("UNSERIALIZABLE_DATA");
    expect(codeOf({ type: 2, nsp: "/", data: ["e", 1n, new Uint8Array(1)] })).toBe("UNSERIALIZABLE_DATA");
    const throwing = {
      toJSON() {
        throw new Error("nope");
      },
    };
    expect(codeOf({ type: 2, nsp: "/", data: ["e", throwing] })).toBe("UNSERIALIZABLE_DATA");
  });
});
