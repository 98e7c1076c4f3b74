import { Decoder, DecodeError, type DecodedPacket, type DecodeErrorCode, type DecoderOptions } from "@duplex/protocol";

function collect(options?: DecoderOptions) {
  const packets: DecodedPacket[] = [];
  const errors: DecodeError[] = [];
  const decoder = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e) }, options);
  return { decoder, packets, errors };
}

function decodeOne(text: string, options?: DecoderOptions): DecodedPacket {
  const { decoder, packets, errors } = collect(options);
  decoder.add(text);
  expect(errors).toEqual([]);
  expect(packets).toHaveLength(1);
  return packets[0] as DecodedPacket;
}

function errorOf(chunks: (string | Uint8Array)[], options?: DecoderOptions): DecodeError {
  const { decoder, packets, errors } = collect(options);
  for (const c of chunks) decoder.add(c);
  expect(packets).toEqual([]);
  expect(errors).toHaveLength(1);
  const error = errors[0] as DecodeError;
  expect(error).toBeInstanceOf(DecodeError);
  expect(error).toBeInstanceOf(Error);
  return error;
}

function expectCode(chunks: string | (string | Uint8Array)[], code: DecodeErrorCode, options?: DecoderOptions): DecodeError {
  const error = errorOf(typeof chunks === "string" ? [chunks] : chunks, options);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/^expected .+, got .+/s);
  return error;
}

describe("Decoder: every packet kind", () => {
  test("CONNECT without and with payload, default and named namespace", () => {
    expect(decodeOne("0")).toEqual({ type: 0, nsp: "/" });
    expect(decodeOne("0/admin,")).toEqual({ type: 0, nsp: "/admin" });
    expect(decodeOne('0/admin,{"token":"abc"}')).toEqual({ type: 0, nsp: "/admin", data: { token: "abc" } });
    expect(decodeOne('0{"sid":"x"}')).toEqual({ type: 0, nsp: "/", data: { sid: "x" } });
  });

  test("a namespace that ends the packet without a comma is accepted, as socket.io-parser does", () => {
    expect(decodeOne("0/admin")).toEqual({ type: 0, nsp: "/admin" });
  });

  test("DISCONNECT", () => {
    expect(decodeOne("1")).toEqual({ type: 1, nsp: "/" });
    expect(decodeOne("1/chat,")).toEqual({ type: 1, nsp: "/chat" });
  });

  test("EVENT with and without ack id, string and numeric names", () => {
    expect(decodeOne('2["hello",1,{"a":[true,null]}]')).toEqual({ type: 2, nsp: "/", data: ["hello", 1, { a: [true, null] }] });
    expect(decodeOne('2/chat,12["m"]')).toEqual({ type: 2, nsp: "/chat", id: 12, data: ["m"] });
    expect(decodeOne('20["m"]')).toEqual({ type: 2, nsp: "/", id: 0, data: ["m"] });
    expect(decodeOne("2[42]")).toEqual({ type: 2, nsp: "/", data: [42] });
    expect(decodeOne(`2${Number.MAX_SAFE_INTEGER}["m"]`)).toEqual({ type: 2, nsp: "/", id: Number.MAX_SAFE_INTEGER, data: ["m"] });
  });

  test("an event named like a reserved one still decodes (the socket layer decides)", () => {
    expect(decodeOne('2["error","x"]')).toEqual({ type: 2, nsp: "/", data: ["error", "x"] });
    expect(decodeOne('2["disconnect"]')).toEqual({ type: 2, nsp: "/", data: ["disconnect"] });
  });

  test("ACK", () => {
    expect(decodeOne("3/chat,7[]")).toEqual({ type: 3, nsp: "/chat", id: 7, data: [] });
    expect(decodeOne('35["ok",{"n":1}]')).toEqual({ type: 3, nsp: "/", id: 5, data: ["ok", { n: 1 }] });
  });

  test("CONNECT_ERROR with an object or a string", () => {
    expect(decodeOne('4{"message":"nope","data":{"r":1}}')).toEqual({ type: 4, nsp: "/", data: { message: "nope", data: { r: 1 } } });
    expect(decodeOne('4/admin,"Not authorized"')).toEqual({ type: 4, nsp: "/admin", data: "Not authorized" });
  });

  test("BINARY_EVENT is reported as an EVENT with its attachments in place", () => {
    const { decoder, packets, errors } = collect();
    const a = new Uint8Array([1, 2]);
    const b = new ArrayBuffer(3);
    decoder.add('52-/files,9["upload",{"_placeholder":true,"num":1},{"nested":[{"_placeholder":true,"num":0}]}]');
    expect(decoder.awaitingAttachments).toBe(2);
    expect(packets).toEqual([]);
    decoder.add(a);
    expect(decoder.awaitingAttachments).toBe(1);
    expect(packets).toEqual([]);
    decoder.add(b);
    expect(errors).toEqual([]);
    expect(decoder.awaitingAttachments).toBe(0);
    expect(packets).toHaveLength(1);
    const p = packets[0] as DecodedPacket & { data: unknown[] };
    expect(p).toMatchObject({ type: 2, nsp: "/files", id: 9 });
    expect(p.data[1]).toBe(b);
    expect((p.data[2] as { nested: unknown[] }).nested[0]).toBe(a);
  });

  test("BINARY_ACK is reported as an ACK; one attachment may fill several placeholders", () => {
    const { decoder, packets } = collect();
    const a = new Uint8Array([7]);
    decoder.add('61-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]');
    decoder.add(a);
    expect(packets).toEqual([{ type: 3, nsp: "/", id: 3, data: [a, a] }]);
    expect((packets[0] as { data: unknown[] }).data[0]).toBe(a);
  });

  test("placeholders in a plain EVENT are left alone, as in socket.io-parser", () => {
    expect(decodeOne('2["a",{"_placeholder":true,"num":0}]')).toEqual({ type: 2, nsp: "/", data: ["a", { _placeholder: true, num: 0 }] });
  });

  test("an object with _placeholder that is not true is plain data in a binary packet", () => {
    const { decoder, packets } = collect();
    const a = new Uint8Array([1]);
    decoder.add('51-["a",{"_placeholder":1,"num":0},{"_placeholder":true,"num":0}]');
    decoder.add(a);
    expect(packets).toEqual([{ type: 2, nsp: "/", data: ["a", { _placeholder: 1, num: 0 }, a] }]);
  });

  test("the reviver is applied", () => {
    const packet = decodeOne('2["d","2020-01-01"]', {
      reviver: (_key, value) => (typeof value === "string" && /^\d{4}-/.test(value) ? new Date(value) : value),
    });
    expect((packet as { data: unknown[] }).data[1]).toEqual(new Date("2020-01-01"));
  });
});

describe("Decoder: validation, one rule at a time", () => {
  test.each(["", "7", "9[]", "a", "-1", " 2[]", "\u0000"])("INVALID_PACKET_TYPE for %j", (text) => {
    expectCode(text, "INVALID_PACKET_TYPE");
  });

  test.each(["5", "5-[\"a\"]", "51[\"a\"]", "50-[\"a\"]", "601-0[]", "5x-[]"])("INVALID_ATTACHMENTS for %j", (text) => {
    expectCode(text, "INVALID_ATTACHMENTS");
  });

  test("TOO_MANY_ATTACHMENTS above maxAttachments, with the limit in the message", () => {
    expect(expectCode('511-["a"]', "TOO_MANY_ATTACHMENTS").message).toContain("at most 10");
    expectCode('53-["a"]', "TOO_MANY_ATTACHMENTS", { maxAttachments: 2 });
    expectCode('51-["a"]', "TOO_MANY_ATTACHMENTS", { maxAttachments: 0 });
    expect(decodeOneBinary('53-["a"]', 3, { maxAttachments: 3 })).toMatchObject({ type: 2 });
  });

  test("INVALID_NAMESPACE for text before a comma that lacks the leading slash", () => {
    expect(expectCode('2chat,["a"]', "INVALID_NAMESPACE").message).toContain('"/"');
    expectCode("0admin,", "INVALID_NAMESPACE");
    expectCode('212,["a"]', "INVALID_NAMESPACE");
  });

  test("INVALID_ACK_ID: unsafe, too long, leading zeros, on the wrong type, missing on an ACK", () => {
    expectCode(`2${Number.MAX_SAFE_INTEGER + 1}["a"]`, "INVALID_ACK_ID");
    expectCode(`2${"9".repeat(30)}["a"]`, "INVALID_ACK_ID");
    expectCode('2007["a"]', "INVALID_ACK_ID");
    expectCode("012{}", "INVALID_ACK_ID");
    expectCode("1/a,5", "INVALID_ACK_ID");
    expectCode('45{"message":"x"}', "INVALID_ACK_ID");
    expectCode('3["a"]', "INVALID_ACK_ID");
    expectCode("3/chat,[]", "INVALID_ACK_ID");
    expectCode('61-[{"_placeholder":true,"num":0}]', "INVALID_ACK_ID");
  });

  test.each([
    ['2["a"', "JSON that does not parse"],
    ["2", "EVENT without payload"],
    ["2[]", "EVENT with an empty array"],
    ['2{"a":1}', "EVENT with an object"],
    ["2[null]", "event name null"],
    ["2[[1]]", "event name an array"],
    ['2[{"a":1}]', "event name an object"],
    ["2[true]", "event name a boolean"],
    ['2"a"', "EVENT with a string"],
    ["2null", "JSON null"],
    ["21", "only an ack id"],
    ["3/x,1", "ACK without payload"],
    ['31{"a":1}', "ACK with an object"],
    ['31"a"', "ACK with a string"],
    ["0[]", "CONNECT with an array"],
    ['0"tok"', "CONNECT with a string"],
    ["1{}", "DISCONNECT with a payload"],
    ['1"x"', "DISCONNECT with a string"],
    ["4", "CONNECT_ERROR without payload"],
    ["4[]", "CONNECT_ERROR with an array"],
    ['2["a"]x', "trailing garbage"],
  ])("INVALID_PAYLOAD for %j (%s)", (text) => {
    expectCode(text, "INVALID_PAYLOAD");
  });

  test("PAYLOAD_TOO_DEEP beyond maxDepth; brackets inside strings do not count", () => {
    const deep = (n: number) => `2["a",${"[".repeat(n)}${"]".repeat(n)}]`;
    expectCode(deep(1000), "PAYLOAD_TOO_DEEP");
    expect(decodeOne(deep(998))).toMatchObject({ type: 2 });
    expectCode(deep(10), "PAYLOAD_TOO_DEEP", { maxDepth: 10 });
    expect(decodeOne(`2["${"[".repeat(50)}"]`, { maxDepth: 2 })).toEqual({ type: 2, nsp: "/", data: ["[".repeat(50)] });
    expect(decodeOne(`2["\\"${"[".repeat(50)}"]`, { maxDepth: 2 })).toMatchObject({ type: 2 });
    expect(decodeOne(deep(5000), { maxDepth: Infinity })).toMatchObject({ type: 2 });
  });

  test.each([
    ['51-["a",{"_placeholder":true,"num":1}]', "num equal to the attachment count"],
    ['51-["a",{"_placeholder":true,"num":-1}]', "negative num"],
    ['51-["a",{"_placeholder":true,"num":0.5}]', "fractional num"],
    ['51-["a",{"_placeholder":true,"num":"0"}]', "numeric string"],
    ['51-["a",{"_placeholder":true,"num":"splice"}]', "property name"],
    ['51-["a",{"_placeholder":true}]', "missing num"],
    ['52-["a",[[{"x":{"_placeholder":true,"num":7}}]]]', "deep and out of range"],
  ])("INVALID_PLACEHOLDER for %j (%s)", (text) => {
    expectCode(text, "INVALID_PLACEHOLDER");
  });

  test("UNEXPECTED_ATTACHMENT for binary data while idle, and after a completed binary packet", () => {
    expectCode([new Uint8Array([1])], "UNEXPECTED_ATTACHMENT");
    const error = errorOfAfterBinary();
    expect(error.code).toBe("UNEXPECTED_ATTACHMENT");
  });

  test("ATTACHMENTS_PENDING for text while a binary packet waits; the text and the pending packet are dropped", () => {
    const { decoder, packets, errors } = collect();
    decoder.add('52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    decoder.add(new Uint8Array([1]));
    decoder.add('2["next"]');
    expect(errors.map((e) => e.code)).toEqual(["ATTACHMENTS_PENDING"]);
    expect(errors[0]?.message).toContain("1 more");
    expect(packets).toEqual([]);
    expect(decoder.awaitingAttachments).toBe(0);
    decoder.add('2["after"]');
    expect(packets).toEqual([{ type: 2, nsp: "/", data: ["after"] }]);
  });

  test("INVALID_INPUT for a chunk that is neither text nor binary", () => {
    for (const bad of [42, null, undefined, {}, [1, 2]]) {
      const { decoder, errors } = collect();
      decoder.add(bad as unknown as string);
      expect(errors.map((e) => e.code)).toEqual(["INVALID_INPUT"]);
    }
  });

  test("a reviver that throws is reported as INVALID_PAYLOAD, never thrown", () => {
    expectCode('2["a"]', "INVALID_PAYLOAD", {
      reviver: () => {
        throw new Error("boom");
      },
    });
  });

  test("bad options are refused at construction", () => {
    const handler = { onPacket: () => undefined, onError: () => undefined };
    expect(() => new Decoder(handler, { maxAttachments: -1 })).toThrow(RangeError);
    expect(() => new Decoder(handler, { maxAttachments: 1.5 })).toThrow(RangeError);
    expect(() => new Decoder(handler, { maxDepth: 0 })).toThrow(RangeError);
  });
});

describe("Decoder: state", () => {
  test("stays usable after every kind of error", () => {
    const { decoder, packets, errors } = collect();
    for (const bad of ["", "9", '2["a"', '511-["a"]', '51-["a",{"_placeholder":true,"num":3}]']) decoder.add(bad);
    decoder.add(new Uint8Array(1));
    expect(errors).toHaveLength(6);
    decoder.add('2["ok"]');
    expect(packets).toEqual([{ type: 2, nsp: "/", data: ["ok"] }]);
  });

  test("destroy() drops a pending binary packet", () => {
    const { decoder, packets, errors } = collect();
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    expect(decoder.awaitingAttachments).toBe(1);
    decoder.destroy();
    expect(decoder.awaitingAttachments).toBe(0);
    decoder.add(new Uint8Array(1));
    expect(errors.map((e) => e.code)).toEqual(["UNEXPECTED_ATTACHMENT"]);
    expect(packets).toEqual([]);
  });

  test("a handler that throws leaves the decoder idle", () => {
    let calls = 0;
    const decoder = new Decoder({
      onPacket: () => {
        calls++;
        throw new Error("handler bug");
      },
      onError: () => undefined,
    });
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    expect(() => decoder.add(new Uint8Array(1))).toThrow("handler bug");
    expect(decoder.awaitingAttachments).toBe(0);
    expect(() => decoder.add('2["b"]')).toThrow("handler bug");
    expect(calls).toBe(2);
  });
});

function decodeOneBinary(text: string, attachments: number, options?: DecoderOptions): DecodedPacket {
  const { decoder, packets, errors } = collect(options);
  decoder.add(text);
  for (let i = 0; i < attachments; i++) decoder.add(new Uint8Array([i]));
  expect(errors).toEqual([]);
  expect(packets).toHaveLength(1);
  return packets[0] as DecodedPacket;
}

function errorOfAfterBinary(): DecodeError {
  const { decoder, packets, errors } = collect();
  decoder.add('51-["a",{"_placeholder":true,"num":0}]');
  decoder.add(new Uint8Array([1]));
  decoder.add(new Uint8Array([2]));
  expect(packets).toHaveLength(1);
  expect(errors).toHaveLength(1);
  return errors[0] as DecodeError;
}
