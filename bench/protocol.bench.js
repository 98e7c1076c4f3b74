// @duplex/protocol against socket.io-parser, in one process: encode and decode
// throughput for three typical packets. Runs are interleaved (warm-up, then
// rounds that alternate which side goes first) so machine drift hits both
// sides alike; the table reports medians and the Duplex / socket.io-parser ratio.
// Usage: npx tsc -b && node bench/run.js protocol   (ROUNDS=…, ROUND_MS=… to tune)
"use strict";
const { median } = require("./support.js");
const duplex = require("../packages/protocol/dist/index.js");
const sio = require("socket.io-parser");

const ROUNDS = Number(process.env.ROUNDS || 9);
const ROUND_MS = Number(process.env.ROUND_MS || 200);

const cases = {
  "event ~100 B": {
    type: 2,
    nsp: "/",
    data: ["message", { user: "alice", room: "general", text: "hello world, how are you?", ts: 1700000000000 }],
  },
  "event + 64 KiB binary": {
    type: 2,
    nsp: "/",
    id: 7,
    data: ["upload", { name: "photo.jpg", size: 65536, bytes: Buffer.alloc(65536, 7) }],
  },
  "10 small objects": {
    type: 2,
    nsp: "/",
    data: ["list", Array.from({ length: 10 }, (_, i) => ({ id: i, name: `user${i}`, online: i % 2 === 0, score: i * 1.5 }))],
  },
};

let sink; // keeps results alive so nothing is optimised away

function setup(packet) {
  const dEncoder = new duplex.Encoder();
  const sEncoder = new sio.Encoder();
  const chunks = sEncoder.encode({ ...packet });
  const dDecoder = new duplex.Decoder(
    { onPacket: (p) => { sink = p; }, onError: (e) => { throw e; } },
  );
  const sDecoder = new sio.Decoder();
  sDecoder.on("decoded", (p) => { sink = p; });
  // Ceiling: V8's JSON alone, the part no JSON codec can skip (text packets only).
  const json = typeof packet.data === "object" && chunks.length === 1 ? chunks[0].slice(chunks[0].indexOf("[")) : undefined;
  const size = chunks.reduce((n, c) => n + (typeof c === "string" ? Buffer.byteLength(c) : c.byteLength), 0);
  return {
    size,
    encode: {
      duplex: () => { sink = dEncoder.encode(packet); },
      "socket.io-parser": () => { sink = sEncoder.encode(packet); },
      ...(json && { "JSON.stringify only": () => { sink = JSON.stringify(packet.data); } }),
    },
    decode: {
      duplex: () => { for (let i = 0; i < chunks.length; i++) dDecoder.add(chunks[i]); },
      "socket.io-parser": () => { for (let i = 0; i < chunks.length; i++) sDecoder.add(chunks[i]); },
      ...(json && { "JSON.parse only": () => { sink = JSON.parse(json); } }),
    },
  };
}

/** ops/s of `fn` over about `ms` milliseconds. */
function measure(fn, ms) {
  let ops = 0;
  let batch = 64;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1000000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed < budget / 20n) batch *= 2;
  }
  return ops / (Number(elapsed) / 1e9);
}


const rows = [];
for (const [name, packet] of Object.entries(cases)) {
  const bench = setup(packet);
  for (const op of ["encode", "decode"]) {
    const fns = bench[op];
    const sides = Object.keys(fns);
    const results = Object.fromEntries(sides.map((s) => [s, []]));
    for (const s of sides) measure(fns[s], ROUND_MS); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        if (global.gc) global.gc();
        results[s].push(measure(fns[s], ROUND_MS));
      }
    }
    const d = median(results.duplex);
    const s = median(results["socket.io-parser"]);
    const ceiling = sides[2] === undefined ? undefined : median(results[sides[2]]) / s;
    rows.push({ packet: `${name} (${bench.size} B)`, op, duplex: d, sio: s, ratio: d / s, ceiling });
  }
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const header = ["packet", "op", "duplex ops/s", "socket.io-parser ops/s", "duplex / sio", "JSON alone / sio"];
const table = rows.map((r) => [r.packet, r.op, fmt(r.duplex), fmt(r.sio), `${r.ratio.toFixed(2)}x`, r.ceiling === undefined ? "n/a" : `${r.ceiling.toFixed(2)}x`]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per side, medians`);
console.log("(JSON alone / sio: JSON.stringify or JSON.parse of the payload by itself, the ceiling for any JSON text codec)");
console.log(line(header));
console.log(`|${widths.map((w, i) => (i < 2 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|")}|`);
for (const row of table) console.log(line(row));
if (sink === undefined) console.log("");
