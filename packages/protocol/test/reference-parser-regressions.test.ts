// Inputs that broke socket.io-parser at some point (crashes, prototype
// lookups, precision loss, unbounded buffering) must be answered by Duplex's
// decoder with a coded error or a correct packet, never an exception.

import { Decoder, type DecodedPacket, type DecodeError, type DecoderOptions } from "@duplex/protocol";

function feed(chunks: (string | Uint8Array)[], options?: DecoderOptions) {
  const packets: DecodedPacket[] = [];
  const errors: DecodeError[] = [];
  const decoder = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e) }, options);
  for (const chunk of chunks) expect(() => decoder.add(chunk)).not.toThrow();
  return { packets, errors, decoder, codes: errors.map((e) => e.code) };
}

describe("an object where the event name should be", () => {
  test('2[{"toString":"foo"}] is INVALID_PAYLOAD, and building the message calls no method of the payload', () => {
    const { codes, errors } = feed(['2[{"toString":"foo"}]']);
    expect(codes).toEqual(["INVALID_PAYLOAD"]);
    expect(errors[0]?.message).toContain("an array of length 1");
  });

  test.each(['2[{"a":1}]', '2[["a"]]', "2[null]", '2[{"toString":"foo","valueOf":"bar"},1]'])("%s is INVALID_PAYLOAD", (text) => {
    expect(feed([text]).codes).toEqual(["INVALID_PAYLOAD"]);
  });

  test("objects with toString/valueOf keys elsewhere decode as data", () => {
    const { packets, codes } = feed(['2["e",{"toString":"foo","valueOf":1}]', '0{"toString":"x"}']);
    expect(codes).toEqual([]);
    expect(packets).toEqual([
      { type: 2, nsp: "/", data: ["e", { toString: "foo", valueOf: 1 }] },
      { type: 0, nsp: "/", data: { toString: "x" } },
    ]);
  });
});

describe("a placeholder num that names a property", () => {
  test.each(['"splice"', '"length"', '"__proto__"', '"toString"', '"constructor"', "[0]", '{"0":0}', "true", "1e400"])(
    '51-["hello",{"_placeholder":true,"num":%s}] is INVALID_PLACEHOLDER and nothing stays pending',
    (num) => {
      const { codes, decoder } = feed([`51-["hello",{"_placeholder":true,"num":${num}}]`, new Uint8Array([1])]);
      expect(codes).toEqual(["INVALID_PLACEHOLDER", "UNEXPECTED_ATTACHMENT"]);
      expect(decoder.awaitingAttachments).toBe(0);
    },
  );
});

describe("attachment counts in the thousands and beyond", () => {
  test("59999-… is refused before anything is buffered", () => {
    const { codes, decoder } = feed(['59999-["a",{"_placeholder":true,"num":0}]']);
    expect(codes).toEqual(["TOO_MANY_ATTACHMENTS"]);
    expect(decoder.awaitingAttachments).toBe(0);
  });

  test("a 30-digit attachment count is TOO_MANY_ATTACHMENTS, not a rounded number", () => {
    const { codes, errors } = feed([`5${"1".repeat(30)}-["a"]`]);
    expect(codes).toEqual(["TOO_MANY_ATTACHMENTS"]);
    expect(errors[0]?.message).toContain("30-digit");
  });

  test("a million-digit count is answered quickly", () => {
    const started = Date.now();
    expect(feed([`5${"9".repeat(1_000_000)}-["a"]`]).codes).toEqual(["TOO_MANY_ATTACHMENTS"]);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("ack ids past Number.MAX_SAFE_INTEGER", () => {
  test.each([String(Number.MAX_SAFE_INTEGER + 1), "9007199254740993", "9".repeat(30), "1".repeat(400)])("2%s[…] is INVALID_ACK_ID", (id) => {
    expect(feed([`2${id}["a"]`]).codes).toEqual(["INVALID_ACK_ID"]);
    expect(feed([`3${id}[]`]).codes).toEqual(["INVALID_ACK_ID"]);
  });

  test("the largest safe id is exact", () => {
    expect(feed([`3${Number.MAX_SAFE_INTEGER}[]`]).packets).toEqual([{ type: 3, nsp: "/", id: Number.MAX_SAFE_INTEGER, data: [] }]);
  });
});

describe("deeply nested arrays", () => {
  const depth = 100_000;
  const nested = (inner: string) => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;

  test("100k levels are refused with PAYLOAD_TOO_DEEP by default", () => {
    expect(feed([`2["e",${nested("")}]`]).codes).toEqual(["PAYLOAD_TOO_DEEP"]);
    expect(feed([`51-["e",${nested('{"_placeholder":true,"num":0}')}]`]).codes).toEqual(["PAYLOAD_TOO_DEEP"]);
  });

  test("with the depth check off, 100k levels decode, and a placeholder at the bottom is filled without recursion", () => {
    const options = { maxDepth: Infinity };
    expect(feed([`2["e",${nested("")}]`], options).packets).toHaveLength(1);
    const a = new Uint8Array([1]);
    const { packets, codes } = feed([`51-["e",${nested('{"_placeholder":true,"num":0}')}]`, a], options);
    expect(codes).toEqual([]);
    let cursor: unknown = (packets[0] as { data: unknown[] }).data[1];
    for (let i = 0; i < depth; i++) cursor = (cursor as unknown[])[0];
    expect(cursor).toBe(a);
  });
});

test('an event named "error" decodes (rejecting it is the socket layer\'s job)', () => {
  expect(feed(['2["error",{"message":"x"}]']).packets).toEqual([{ type: 2, nsp: "/", data: ["error", { message: "x" }] }]);
});

describe("__proto__ keys in payloads", () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  test("in a text packet they stay own data properties", () => {
    const { packets } = feed(['2["e",{"__proto__":{"polluted":true}},{"constructor":{"prototype":{"polluted":true}}}]']);
    const arg = (packets[0] as { data: unknown[] }).data[1] as object;
    expect(Object.getPrototypeOf(arg)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(arg)).toEqual(["__proto__"]);
  });

  test("in a binary packet, a placeholder under __proto__ is filled as an own property", () => {
    const a = new Uint8Array([1]);
    const { packets, codes } = feed(['51-["e",{"__proto__":{"_placeholder":true,"num":0}},{"__proto__":{"polluted":true}}]', a]);
    expect(codes).toEqual([]);
    const data = (packets[0] as { data: unknown[] }).data;
    expect(Object.getOwnPropertyDescriptor(data[1], "__proto__")?.value).toBe(a);
    expect(Object.getPrototypeOf(data[1])).toBe(Object.prototype);
    expect(Object.getPrototypeOf(data[2])).toBe(Object.prototype);
  });

  test("a broken placeholder hidden under __proto__ is still checked", () => {
    const { codes } = feed(['51-["e",{"__proto__":{"_placeholder":true},"num":0}]']);
    expect(codes).toEqual(["INVALID_PLACEHOLDER"]);
  });
});
