import { hasBinary, isBinary } from "@duplex/protocol";
import { deconstruct, placeholders, type Binary } from "./binary";

describe("isBinary", () => {
  test.each<[string, unknown]>([
    ["Buffer", Buffer.from("a")],
    ["ArrayBuffer", new ArrayBuffer(1)],
    ["Uint8Array", new Uint8Array(1)],
    ["Int32Array", new Int32Array(1)],
    ["Float32Array", new Float32Array(1)],
    ["BigInt64Array", new BigInt64Array(1)],
    ["DataView", new DataView(new ArrayBuffer(1))],
    ["Blob", new Blob(["a"])],
    ["File", new File(["a"], "a.txt")],
  ])("%s is binary", (_name, value) => {
    expect(isBinary(value)).toBe(true);
  });

  test.each<[string, unknown]>([
    ["array of bytes", [1, 2]],
    ["plain object", { byteLength: 1 }],
    ["Buffer's JSON", Buffer.from("a").toJSON()],
    ["string", "abc"],
    ["null", null],
    ["SharedArrayBuffer (socket.io-parser does not send it either)", new SharedArrayBuffer(1)],
  ])("%s is not binary", (_name, value) => {
    expect(isBinary(value)).toBe(false);
  });
});

describe("hasBinary", () => {
  test("finds binary at any depth of arrays and objects, and behind toJSON", () => {
    expect(hasBinary([1, [2, [3, { a: { b: [new Uint8Array(1)] } }]]])).toBe(true);
    expect(hasBinary({ toJSON: () => [new ArrayBuffer(1)] })).toBe(true);
    expect(hasBinary([1, "a", { b: null, c: [true] }])).toBe(false);
    expect(hasBinary(new Date())).toBe(false);
    expect(hasBinary(Object.create(null) as object)).toBe(false);
  });

  test("does not follow a toJSON that toJSON returned (as JSON.stringify would not)", () => {
    const inner = { toJSON: () => new Uint8Array(1) };
    expect(hasBinary({ toJSON: () => inner })).toBe(false);
  });
});

describe("deconstruct / placeholders", () => {
  test("round trip puts the same objects back in place", () => {
    const a = new Uint8Array([1]);
    const b = new ArrayBuffer(2);
    const buffers: Binary[] = [];
    const json = deconstruct(["e", { a, deep: [[b]] }], buffers);
    expect(buffers).toEqual([a, b]);
    const parsed = JSON.parse(JSON.stringify(json)) as unknown[];
    placeholders(parsed, 2); // checks only
    expect(parsed).toEqual(["e", { a: { _placeholder: true, num: 0 }, deep: [[{ _placeholder: true, num: 1 }]] }]);
    placeholders(parsed, 2, buffers);
    expect(parsed).toEqual(["e", { a, deep: [[b]] }]);
    expect((parsed as [string, { a: unknown }])[1].a).toBe(a);
  });

  test("placeholders walks 100k levels of nesting without recursion", () => {
    const depth = 100_000;
    const text = `${"[".repeat(depth)}{"_placeholder":true,"num":0}${"]".repeat(depth)}`;
    const parsed = JSON.parse(text) as unknown[];
    const a = new Uint8Array(1);
    placeholders(parsed, 1, [a]);
    let inner: unknown = parsed;
    for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe(a);
  });

  test("throws INVALID_PLACEHOLDER for the first invalid placeholder", () => {
    expect(() => placeholders([{ _placeholder: true, num: "splice" }], 1)).toThrow(/integer from 0 to 0, got "splice"/);
    expect(() => placeholders([{ _placeholder: true, num: 2 }], 2)).toThrow(/got 2/);
    expect(() => placeholders([[{ _placeholder: true, num: -1 }]], 2)).toThrow(expect.objectContaining({ code: "INVALID_PLACEHOLDER" }));
  });

  test("writes an own __proto__ property, never a prototype", () => {
    const parsed = JSON.parse('[{"__proto__":{"_placeholder":true,"num":0}}]') as [Record<string, unknown>];
    const a = new Uint8Array(1);
    placeholders(parsed, 1, [a]);
    expect(Object.getOwnPropertyDescriptor(parsed[0], "__proto__")?.value).toBe(a);
    expect(Object.getPrototypeOf(parsed[0])).toBe(Object.prototype);
  });
});
