"use strict";
const A = require("/tmp/read-base/packages/protocol/dist/index.js");
const B = require("../packages/protocol/dist/index.js");
const sio = require("socket.io-parser");
const ROUNDS = 15, MS = 150;
const cases = {
  "event ~100 B": { type: 2, nsp: "/", data: ["message", { user: "alice", room: "general", text: "hello world, how are you?", ts: 1700000000000 }] },
  "event + 64 KiB binary": { type: 2, nsp: "/", id: 7, data: ["upload", { name: "photo.jpg", size: 65536, bytes: Buffer.alloc(65536, 7) }] },
  "10 small objects": { type: 2, nsp: "/", data: ["list", Array.from({ length: 10 }, (_, i) => ({ id: i, name: `user${i}`, online: i % 2 === 0, score: i * 1.5 }))] },
};
let sink;
function rate(fn) { const end = performance.now() + MS; let n = 0; while (performance.now() < end) { for (let i = 0; i < 100; i++) fn(); n += 100; } return n / MS * 1000; }
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
for (const [name, packet] of Object.entries(cases)) {
  const chunks = new sio.Encoder().encode({ ...packet });
  for (const op of ["encode", "decode"]) {
    const mk = (P) => {
      if (op === "encode") { const e = new P.Encoder(); return () => { sink = e.encode(packet); }; }
      const d = new P.Decoder({ onPacket: (p) => { sink = p; }, onError: (e) => { throw e; } });
      return () => { for (const c of chunks) d.add(c); };
    };
    const fa = mk(A), fb = mk(B);
    for (let i = 0; i < 3; i++) { rate(fa); rate(fb); }
    const ra = [], rb = [];
    for (let r = 0; r < ROUNDS; r++) { if (r % 2) { ra.push(rate(fa)); rb.push(rate(fb)); } else { rb.push(rate(fb)); ra.push(rate(fa)); } }
    console.log(`${name.padEnd(24)} ${op}  before ${Math.round(med(ra)).toLocaleString().padStart(10)}  after ${Math.round(med(rb)).toLocaleString().padStart(10)}  after/before ${(med(rb) / med(ra)).toFixed(2)}x`);
  }
}
