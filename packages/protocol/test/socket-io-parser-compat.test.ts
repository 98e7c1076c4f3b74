// Compatibility vectors: generated packets (nested binary in every supported
// form) encoded by the official socket.io-parser 4.2.x and decoded by Duplex,
// and the reverse. Both directions must round-trip exactly, and the text part
// must be byte-identical for the same packet.

import fc from "fast-check";
import { Decoder, Encoder, RESERVED_EVENTS, type DecodedPacket, type DecodeError, type Packet, type WireChunk } from "@duplex/protocol";
import * as sio from "socket.io-parser";

const RUNS = Number(process.env.COMPAT_RUNS ?? 400);

// Binary forms socket.io-parser and Duplex both send as attachments. Blob and
// File exist as globals in Node 20, and socket.io-parser checks for them.
const binaryArb: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom(
      "Buffer",
      "ArrayBuffer",
      "Uint8Array",
      "Uint8ClampedArray",
      "Int8Array",
      "Int16Array",
      "Uint16Array",
      "Int32Array",
      "Uint32Array",
      "Float32Array",
      "Float64Array",
      "BigInt64Array",
      "BigUint64Array",
      "DataView",
      "Blob",
      "File",
      "subarray",
    ),
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(([kind, bytes]) => {
    const ab = new ArrayBuffer(Math.ceil(bytes.length / 8) * 8);
    new Uint8Array(ab).set(bytes);
    switch (kind) {
      case "Buffer":
        return Buffer.from(bytes);
      case "ArrayBuffer":
        return ab;
      case "Uint8Array":
        return new Uint8Array(ab);
      case "Uint8ClampedArray":
        return new Uint8ClampedArray(ab);
      case "Int8Array":
        return new Int8Array(ab);
      case "Int16Array":
        return new Int16Array(ab);
      case "Uint16Array":
        return new Uint16Array(ab);
      case "Int32Array":
        return new Int32Array(ab);
      case "Uint32Array":
        return new Uint32Array(ab);
      case "Float32Array":
        return new Float32Array(ab);
      case "Float64Array":
        return new Float64Array(ab);
      case "BigInt64Array":
        return new BigInt64Array(ab);
      case "BigUint64Array":
        return new BigUint64Array(ab);
      case "DataView":
        return new DataView(ab);
      case "Blob":
        return new Blob([bytes]);
      case "File":
        return new File([bytes], "f.bin");
      default:
        return Buffer.from(bytes).subarray(1);
    }
  });

// Keys a payload may use. "_placeholder" would forge a placeholder (both
// parsers would then substitute it), and own "__proto__" keys are the one
// documented divergence, tested separately.
const keyArb = fc.string({ unit: "binary", maxLength: 8 }).filter((k) => k !== "_placeholder" && k !== "__proto__");
const numberArb = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)));
const scalarArb = fc.oneof(fc.string({ unit: "binary", maxLength: 16 }), numberArb, fc.boolean(), fc.constant(null));

function valueArb(withBinary: boolean): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      withBinary ? fc.oneof(scalarArb, binaryArb) : scalarArb,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(keyArb, tie("value"), { maxKeys: 4 }),
    ),
  })).value;
}

const nspArb = fc.oneof(fc.constant("/"), fc.string({ unit: "binary", maxLength: 10 }).filter((s) => !s.includes(",")).map((s) => "/" + s));
const idArb = fc.option(fc.oneof(fc.nat(1000), fc.constant(Number.MAX_SAFE_INTEGER)), { nil: undefined });
const eventNameArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !RESERVED_EVENTS.has(s)),
  fc.integer(),
  fc.constant("error"),
);

function packetArb(withBinary: boolean): fc.Arbitrary<Packet> {
  const args = fc.array(valueArb(withBinary), { maxLength: 5 });
  const objectArb = fc.dictionary(keyArb, valueArb(false), { maxKeys: 4 });
  return fc.oneof(
    fc.record({ type: fc.constant(2 as const), nsp: nspArb, id: idArb, data: fc.tuple(eventNameArb, args).map(([n, a]) => [n, ...a]) }).map(dropUndefinedId),
    fc.record({ type: fc.constant(3 as const), nsp: nspArb, id: fc.nat(), data: args }),
    fc.record({ type: fc.constant(0 as const), nsp: nspArb, data: fc.option(objectArb, { nil: undefined }) }).map(dropUndefinedData),
    fc.record({ type: fc.constant(1 as const), nsp: nspArb }),
    fc.record({ type: fc.constant(4 as const), nsp: nspArb, data: fc.oneof(fc.string({ unit: "binary" }), objectArb) }),
  ) as fc.Arbitrary<Packet>;
}

function dropUndefinedId<T extends { id?: number }>(p: T): T {
  if (p.id === undefined) delete p.id;
  return p;
}
function dropUndefinedData<T extends { data?: unknown }>(p: T): T {
  if (p.data === undefined) delete p.data;
  return p;
}

function decodeWithDuplex(chunks: WireChunk[]): DecodedPacket {
  const packets: DecodedPacket[] = [];
  const errors: DecodeError[] = [];
  const decoder = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e) }, { maxAttachments: 1000 });
  for (const chunk of chunks) decoder.add(chunk);
  if (errors.length > 0) throw errors[0];
  expect(packets).toHaveLength(1);
  expect(decoder.awaitingAttachments).toBe(0);
  return packets[0] as DecodedPacket;
}

function decodeWithReference(chunks: unknown[]): unknown {
  const packets: unknown[] = [];
  const decoder = new sio.Decoder({ maxAttachments: 1000 });
  decoder.on("decoded", (p: unknown) => packets.push(p));
  for (const chunk of chunks) decoder.add(chunk);
  expect(packets).toHaveLength(1);
  return packets[0];
}

const duplexEncoder = new Encoder();
const referenceEncoder = new sio.Encoder();

function sameChunks(ours: WireChunk[], theirs: unknown[]): void {
  expect(ours.length).toBe(theirs.length);
  expect(ours[0]).toBe(theirs[0]); // byte-identical text
  for (let i = 1; i < ours.length; i++) expect(ours[i]).toBe(theirs[i]); // same attachments, same order
}

describe.each([
  ["without binary", false],
  ["with nested binary", true],
])("socket.io-parser compatibility, %s", (_name, withBinary) => {
  test("socket.io-parser encodes, Duplex decodes the same packet; Duplex's text is byte-identical", () => {
    fc.assert(
      fc.property(packetArb(withBinary), (packet) => {
        const theirs = referenceEncoder.encode({ ...packet }) as unknown[];
        const ours = duplexEncoder.encode(packet);
        sameChunks(ours, theirs);
        expect(decodeWithDuplex(theirs as WireChunk[])).toEqual(packet);
      }),
      { numRuns: RUNS },
    );
  });

  test("Duplex encodes, socket.io-parser decodes the same packet", () => {
    fc.assert(
      fc.property(packetArb(withBinary), (packet) => {
        const decoded = decodeWithReference(duplexEncoder.encode(packet));
        expect(decoded).toEqual(packet);
      }),
      { numRuns: RUNS },
    );
  });
});

test("the generators do produce binary packets of every kind (the property is not vacuous)", () => {
  const samples = fc.sample(packetArb(true), { numRuns: 300, seed: 42 });
  const texts = samples.map((p) => duplexEncoder.encode(p)[0]);
  expect(texts.some((t) => t.startsWith("5"))).toBe(true);
  expect(texts.some((t) => t.startsWith("6"))).toBe(true);
  const attachments = samples.flatMap((p) => duplexEncoder.encode(p).slice(1));
  const kinds = new Set(attachments.map((a) => (a as object).constructor.name));
  for (const kind of ["Buffer", "ArrayBuffer", "Uint8Array", "Float64Array", "DataView", "Blob", "File"]) expect(kinds).toContain(kind);
});

test("binary values received as Buffers (what the engine delivers) land in place", () => {
  const packet: Packet = { type: 2, nsp: "/x", id: 1, data: ["e", { a: new Uint16Array([1, 2]) }, [new ArrayBuffer(2)]] };
  const [text, ...attachments] = referenceEncoder.encode({ ...packet }) as [string, ...ArrayBufferView[]];
  // Over the wire each attachment becomes a Buffer of its bytes.
  const received = attachments.map((a) => (a instanceof ArrayBuffer ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const decoded = decodeWithDuplex([text, ...received]) as { data: unknown[] };
  expect((decoded.data[1] as { a: unknown }).a).toBe(received[0]);
  expect((decoded.data[2] as unknown[])[0]).toBe(received[1]);
});
