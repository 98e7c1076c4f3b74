// Fuzzing the decoder with random and mutated input: nothing may escape as an
// exception, nothing may hang, every packet reported must be valid, every
// error must be a coded DecodeError, and nothing may be retained.
//
// FUZZ_INPUTS sets the number of inputs (default 50,000, about 5 s);
// `npm run fuzz` runs 1,000,000. FUZZ_SEED replays a run.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DecodeError, Decoder, Encoder, isPacket, type DecodedPacket, type DecodeErrorCode, type Packet } from "@duplex/protocol";

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 50_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const MAX_ATTACHMENTS = 10;

const CODES: ReadonlySet<DecodeErrorCode> = new Set<DecodeErrorCode>([
  "INVALID_INPUT",
  "INVALID_PACKET_TYPE",
  "INVALID_ATTACHMENTS",
  "TOO_MANY_ATTACHMENTS",
  "INVALID_NAMESPACE",
  "INVALID_ACK_ID",
  "INVALID_PAYLOAD",
  "PAYLOAD_TOO_DEEP",
  "INVALID_PLACEHOLDER",
  "UNEXPECTED_ATTACHMENT",
  "ATTACHMENTS_PENDING",
]);

/** mulberry32: small, fast, seeded, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

// Valid packets to mutate: every kind, with and without namespace, ack id and binary.
const encoder = new Encoder();
const seedPackets: Packet[] = [
  { type: 0, nsp: "/" },
  { type: 0, nsp: "/admin", data: { token: "abc", n: 1 } },
  { type: 1, nsp: "/chat" },
  { type: 2, nsp: "/", data: ["message", { user: "alice", text: "hello", tags: ["a", "b"] }] },
  { type: 2, nsp: "/chat", id: 12, data: ["m", 1, null, true, [1.5, "x"]] },
  { type: 2, nsp: "/", data: [42, { "__proto__": { polluted: 1 } }] },
  { type: 3, nsp: "/", id: 7, data: [] },
  { type: 3, nsp: "/x", id: 900, data: ["ok", { a: { b: { c: [] } } }] },
  { type: 4, nsp: "/", data: { message: "Not authorized", data: { code: 1 } } },
  { type: 4, nsp: "/admin", data: "denied" },
  { type: 2, nsp: "/", data: ["upload", { file: new Uint8Array([1, 2, 3]) }] },
  { type: 2, nsp: "/files", id: 3, data: ["many", new ArrayBuffer(4), [new Uint8Array(1), { deep: [new Uint16Array(2)] }]] },
  { type: 3, nsp: "/", id: 5, data: [new Uint8Array(8), "x"] },
];
const seeds = seedPackets.map((p) => encoder.encode(p));
const texts = seeds.map((s) => s[0]);
const ALPHABET = '0123456789-/,[]{}":_placeholdernum\\ truefalsenull.eE+\u0000\u00ff\ud800';

function randomText(max: number): string {
  let s = "";
  for (let i = 0, n = int(max); i < n; i++) s += ALPHABET[int(ALPHABET.length)];
  return s;
}

function mutate(text: string): string {
  switch (int(12)) {
    case 0: // truncation
      return text.slice(0, int(text.length + 1));
    case 1: {
      // flipped character
      const i = int(text.length);
      return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << int(16))) + text.slice(i + 1);
    }
    case 2: {
      // inserted junk
      const i = int(text.length + 1);
      return text.slice(0, i) + randomText(8) + text.slice(i);
    }
    case 3: // huge number after the type (ack id or attachment count)
      return text[0] + "9".repeat(1 + int(40)) + (random() < 0.5 ? "-" : "") + text.slice(1);
    case 4: {
      // deep nesting
      const depth = pick([10, 999, 1001, 5000, 100_000]);
      return text[0] + (random() < 0.5 ? "1-" : "") + '["e",' + "[".repeat(depth) + (random() < 0.5 ? '{"_placeholder":true,"num":0}' : "") + "]".repeat(depth) + "]";
    }
    case 5: // forged placeholder num
      return text.replace(/"num":\d+/, `"num":${pick(['"splice"', "-1", "1e9", "0.5", "null", "[]", "99", '"__proto__"'])}`);
    case 6: // other type digit
      return String(int(10)) + text.slice(1);
    case 7: // spliced with another packet
      return text.slice(0, int(text.length)) + pick(texts).slice(int(8));
    case 8: // deleted span
      return ((i) => text.slice(0, i) + text.slice(i + 1 + int(6)))(int(text.length));
    case 9: // random text
      return randomText(40);
    case 10: // namespace games
      return text[0] + pick(["/", "nsp,", "/a,/b,", "/,", "/" + "x".repeat(1000) + ","]) + text.slice(1);
    default: // attachment count changed
      return text.replace(/^([56])\d+-/, `$1${pick(["0", "01", "11", "3", "10", "", "99999999999999999999"])}-`);
  }
}

const BINARIES = [new Uint8Array([1]), new ArrayBuffer(2), Buffer.from("x"), new DataView(new ArrayBuffer(1)), new Float32Array(1)];

/** One fuzz input: a list of chunks fed in order (text, attachments, or junk). */
function nextInput(): unknown[] {
  const r = random();
  if (r < 0.15) return pick(seeds) as unknown[]; // valid, as is
  if (r < 0.8) return [mutate(pick(texts))];
  if (r < 0.93) {
    // a binary packet with a random number of attachments, possibly interrupted
    const chunks: unknown[] = [mutate(pick(texts.filter((t) => t[0] === "5" || t[0] === "6")))];
    for (let i = 0, n = int(4); i < n; i++) chunks.push(pick(BINARIES));
    if (random() < 0.3) chunks.push(pick(texts));
    return chunks;
  }
  if (r < 0.97) return [pick(BINARIES)];
  return [pick([42, null, undefined, {}, [], true, () => 1])];
}

const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
})();

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

test(`decoder survives ${INPUTS} random and mutated inputs (seed ${SEED})`, () => {
  const counts = new Map<string, number>();
  let packets = 0;
  let invalid: unknown;
  let badError: unknown;
  const decoder = new Decoder(
    {
      onPacket(packet: DecodedPacket) {
        packets++;
        if (!isPacket(packet) || packet.type > 4) invalid ??= packet;
      },
      onError(error: DecodeError) {
        counts.set(error.code, (counts.get(error.code) ?? 0) + 1);
        if (!(error instanceof DecodeError) || !CODES.has(error.code) || !/^expected .*, got /s.test(error.message)) badError ??= error;
        // Every error leaves the decoder idle: nothing pending is retained.
        if (decoder.awaitingAttachments !== 0) badError ??= new Error(`pending state kept after ${error.code}`);
      },
    },
    { maxAttachments: MAX_ATTACHMENTS },
  );

  let baseline = 0;
  let slowest = 0;
  let slowestInput = "";
  const warmup = Math.min(5000, Math.floor(INPUTS / 10));
  const started = performance.now();
  for (let n = 0; n < INPUTS; n++) {
    if (n === warmup) baseline = heapAfterGc();
    const input = nextInput();
    const t0 = performance.now();
    for (const chunk of input) decoder.add(chunk as string); // must not throw
    const dt = performance.now() - t0;
    if (dt > slowest) {
      slowest = dt;
      slowestInput = String(input[0]).slice(0, 60);
    }
    expect(decoder.awaitingAttachments).toBeLessThanOrEqual(MAX_ATTACHMENTS);
    if (n % 97 === 0) decoder.destroy();
  }
  const elapsed = performance.now() - started;
  decoder.destroy();
  const growth = heapAfterGc() - baseline;

  const summary = [...counts].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c} ${k}`).join(", ");
  console.log(
    `fuzz: ${INPUTS} inputs in ${(elapsed / 1000).toFixed(1)} s (seed ${SEED}); ${packets} packets; errors: ${summary}; ` +
      `slowest input ${slowest.toFixed(1)} ms (${JSON.stringify(slowestInput)}); heap growth after gc ${(growth / 1e6).toFixed(2)} MB${gc ? "" : " (gc unavailable)"}`,
  );

  expect(invalid).toBeUndefined();
  expect(badError).toBeUndefined();
  expect(decoder.awaitingAttachments).toBe(0);
  // The fuzzer must reach both outcomes and most error paths, or it tests nothing.
  expect(packets).toBeGreaterThan(INPUTS / 20);
  for (const code of CODES) if (code !== "INVALID_INPUT" || INPUTS >= 1000) expect([code, counts.get(code) ?? 0]).not.toEqual([code, 0]);
  // No single input may take long: the slowest are the 100k-level nestings (~200 kB).
  expect(slowest).toBeLessThan(250);
  // Nothing retained: a leak of even 100 bytes per input would show as megabytes.
  if (gc) expect(growth).toBeLessThan(Math.max(4e6, INPUTS * 20));
});
