import { ENVELOPE_VERSION, MessageType, decodeEnvelope, encodeEnvelope, isFrom } from "./envelope";

const uid = Buffer.from("0123456789abcdef", "hex");

describe("envelope", () => {
  test("round-trips header, text and binary parts, and binary values anywhere in the header", () => {
    const bin = Buffer.from([0, 1, 2, 255]);
    const msg = encodeEnvelope(MessageType.BROADCAST, uid, { r: ["a"], nested: { b: bin, list: [new Uint8Array([7]).buffer] } }, ['451-["x",{"_placeholder":true,"num":0}]', Buffer.from([9, 9])]);
    const env = decodeEnvelope(msg)!;
    expect(env.type).toBe(MessageType.BROADCAST);
    expect(env.uid).toBe("0123456789abcdef");
    expect(env.parts.slice(0, 2)).toEqual(['451-["x",{"_placeholder":true,"num":0}]', Buffer.from([9, 9])]);
    const nested = env.header.nested as { b: Buffer; list: Buffer[] };
    expect(Buffer.from(nested.b)).toEqual(bin);
    expect(Buffer.from(nested.list[0])).toEqual(Buffer.from([7]));
    expect(env.header.r).toEqual(["a"]);
  });

  test("keeps multi-byte text intact", () => {
    const env = decodeEnvelope(encodeEnvelope(MessageType.BROADCAST, uid, { t: "héllo ✓" }, ["2[\"ünï\"]"]))!;
    expect(env.header.t).toBe("héllo ✓");
    expect(env.parts[0]).toBe('2["ünï"]');
  });

  test("refuses another version and truncated input", () => {
    const msg = encodeEnvelope(MessageType.HEARTBEAT, uid, {}, [Buffer.alloc(10)]);
    expect(msg[0]).toBe(ENVELOPE_VERSION);
    const other = Buffer.from(msg);
    other[0] = ENVELOPE_VERSION + 1;
    expect(decodeEnvelope(other)).toBeNull();
    expect(decodeEnvelope(msg.subarray(0, msg.length - 3))).toBeNull();
    expect(decodeEnvelope(Buffer.from("not an envelope"))).toBeNull();
  });

  test("tells a node its own messages without parsing", () => {
    const msg = encodeEnvelope(MessageType.HEARTBEAT, uid, {});
    expect(isFrom(msg, uid)).toBe(true);
    expect(isFrom(msg, Buffer.from("0123456789abcdee", "hex"))).toBe(false);
  });
});
