// Top self-time functions of a V8 .cpuprofile (as written by
// CPU_PROF=dir node bench/run.js server).
// Usage: node bench/servers/profile-top.js file.cpuprofile [N=10]
"use strict";
const { readFileSync } = require("node:fs");
const { relative } = require("node:path");

const [file, n = "10"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/servers/profile-top.js file.cpuprofile [N]");
  process.exit(1);
}
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const self = new Map(); // node id -> µs
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) || 0) + (prof.timeDeltas[i] || 0));
}
const root = process.cwd();
const byFn = new Map();
let total = 0;
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url ? `${url.startsWith("file://") ? relative(root, url.slice(7)) : url}:${lineNumber + 1}` : "";
  const key = `${functionName || "(anonymous)"}  ${where}`;
  byFn.set(key, (byFn.get(key) || 0) + us);
  total += us;
}
const idle = [...byFn].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, us]) => a + us, 0);
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle; % of non-idle time`);
for (const [key, us] of [...byFn].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${((100 * us) / (total - idle)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}
