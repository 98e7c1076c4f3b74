// Instruction counts of the protocol codec and of the server, per operation,
// for one or more builds of Duplex side by side. Wall-clock figures on a
// shared machine move by tens of percent from run to run; the number of
// instructions a process executes for the same binary and inputs barely
// moves, so a few percent between two builds is visible.
//
// What is counted: every instruction the node process executes (its JIT'd
// code, V8's compilers and GC, libuv, the kernel interface in user space),
// counted by valgrind's callgrind tool. Each workload runs twice in fresh
// processes: once with W operations (warm-up: startup, setup, tier-up of
// the hot code) and once with W + N. The difference divided by N is the
// steady-state cost of one operation, with startup and warm-up removed.
// node runs with V8's --predictable: the same optimising JIT, but compiling
// and collecting garbage on the main thread with fixed seeds, so that when
// optimised code arrives no longer depends on thread scheduling (without it
// the same protocol run moved by tens of percent; with it, by a few hundred
// instructions in 600 million).
// Each build is measured REPEATS times, builds interleaved; the table gives
// the median per build, the spread of the repeats ((max − min) / median)
// and the ratio of each build's median to the first build's.
//
// Workloads (names as in WORKLOADS=):
//   protocol  encode/decode of the bench/protocol.bench.js packets (event
//             ~100 B, event + 64 KiB binary attachment, 10 small objects),
//             of an ack packet, and hasBinary over a large object without
//             binary (the full walk). One operation = one packet.
//   server    a Duplex server (new Server(httpServer), perMessageDeflate off,
//             no pings during the run) in the measured process, with
//             CLIENTS raw Engine.IO/Socket.IO clients over `ws` in a child
//             process that is not counted:
//             echo       every client emits "echo" with an ack, one in flight
//                        per client; one operation = one acked echo
//                        (request decoded, handler, ack encoded and sent)
//             broadcast  io.emit("news") to every client, the next one once
//                        all clients got the last; one operation = one
//                        delivery (one broadcast / CLIENTS)
//   Only APIs present in every build measured are used (Encoder, Decoder,
//   hasBinary; Server, of(), on("connection"), emit, close).
//
// Usage (valgrind must be installed; each build built with npm run build):
//   node bench/instructions.js before=/path/to/build-a/packages after=/path/to/build-b/packages
//   REPEATS=3            runs per build and workload (default 3)
//   WORKLOADS=encode:event,server:echo   subset (names are printed in the table)
//   CLIENTS=50           server clients (default 50)
//   JOBS=2               valgrind processes at once (default 1; the codec's
//                        counts do not depend on it, the server's stay within
//                        their spread; the wall time halves)
// About 10 s per valgrind run for the codec and 40 s for the server: the full
// set with two builds takes about 25 minutes with JOBS=2.
// One workload by itself, without valgrind (what the harness runs under it):
//   node bench/instructions.js run <packagesDir> <workload> <operations>
"use strict";
const { spawn, fork } = require("node:child_process");
const { join, resolve } = require("node:path");

const CLIENTS = Number(process.env.CLIENTS || 50);
const REPEATS = Number(process.env.REPEATS || 3);
const JOBS = Number(process.env.JOBS || 1);

// ---------------------------------------------------------------- protocol

const EVENT_PAYLOAD = { user: "alice", room: "general", text: "hello world, how are you?", ts: 1700000000000 };

const PACKETS = {
  event: { type: 2, nsp: "/", data: ["message", EVENT_PAYLOAD] },
  ack: { type: 3, nsp: "/", id: 1234, data: [{ ok: true, id: "m-42", ts: 1700000000000 }] },
  binary: {
    type: 2,
    nsp: "/",
    id: 7,
    data: ["upload", { name: "photo.jpg", size: 65536, bytes: Buffer.alloc(65536, 7) }],
  },
  objects: {
    type: 2,
    nsp: "/",
    data: ["list", Array.from({ length: 10 }, (_, i) => ({ id: i, name: `user${i}`, online: i % 2 === 0, score: i * 1.5 }))],
  },
};

// A large object with no binary anywhere: hasBinary must walk all of it.
function largeObject() {
  return {
    rooms: Array.from({ length: 100 }, (_, i) => ({
      id: i,
      name: `room${i}`,
      members: Array.from({ length: 10 }, (_, j) => ({ id: j, name: `user${j}`, tags: ["a", "b"] })),
    })),
  };
}

// name -> { warm, count }: W and N operations (see the header).
const WORKLOADS = {
  "encode:event": { warm: 5000, count: 20000 },
  "decode:event": { warm: 5000, count: 20000 },
  "encode:ack": { warm: 5000, count: 20000 },
  "decode:ack": { warm: 5000, count: 20000 },
  "encode:binary": { warm: 2000, count: 10000 },
  "decode:binary": { warm: 2000, count: 10000 },
  "encode:objects": { warm: 2000, count: 10000 },
  "decode:objects": { warm: 2000, count: 10000 },
  "hasBinary:large": { warm: 200, count: 1000 },
  "server:echo": { warm: 20, count: 100 }, // per client
  "server:broadcast": { warm: 20, count: 100 }, // broadcasts
};

function opsPerRun(name, operations) {
  // The server workloads count per delivery: echo runs `operations` per
  // client, broadcast reaches every client.
  return name.startsWith("server:") ? operations * CLIENTS : operations;
}

let sink; // keeps results alive so nothing is optimised away

function runProtocol(packages, name, operations) {
  const protocol = require(join(packages, "protocol/dist/index.js"));
  const [op, which] = name.split(":");
  let step;
  if (op === "hasBinary") {
    const value = largeObject();
    step = () => { sink = protocol.hasBinary(value); };
  } else if (op === "encode") {
    const encoder = new protocol.Encoder();
    const packet = PACKETS[which];
    step = () => { sink = encoder.encode(packet); };
  } else {
    const chunks = new protocol.Encoder().encode(PACKETS[which]);
    let decoded = 0;
    const decoder = new protocol.Decoder({
      onPacket: (packet) => { sink = packet; decoded++; },
      onError: (error) => { throw error; },
    });
    step = () => { for (let i = 0; i < chunks.length; i++) decoder.add(chunks[i]); };
    process.on("exit", () => { if (decoded !== operations) throw new Error(`decoded ${decoded} of ${operations}`); });
  }
  for (let i = 0; i < operations; i++) step();
  if (sink === undefined) console.log("");
}

// ---------------------------------------------------------------- server

function runServer(packages, name, operations) {
  const { createServer } = require("node:http");
  const { Server } = require(join(packages, "server/dist/index.js"));
  const scenario = name.split(":")[1];
  const httpServer = createServer();
  // No pings during a run: their timing would differ between runs.
  const io = new Server(httpServer, { perMessageDeflate: false, pingInterval: 3600000, pingTimeout: 3600000 });
  io.on("connection", (socket) => {
    socket.on("echo", (data, ack) => ack(data));
  });
  httpServer.listen(0, "127.0.0.1", () => {
    const { port } = httpServer.address();
    // The clients run in plain node: valgrind does not follow the fork.
    const clients = fork(__filename, ["clients", packages, String(port), String(CLIENTS)], { execArgv: [] });
    let broadcasts = 0;
    const finish = () => {
      clients.kill();
      io.close();
      process.exit(0);
    };
    const broadcastNext = () => {
      if (broadcasts === operations) return finish();
      broadcasts++;
      io.emit("news", { id: broadcasts, title: "breaking", body: "small news item" });
    };
    clients.on("message", (msg) => {
      if (msg === "connected") {
        if (operations === 0) return finish();
        if (scenario === "echo") clients.send({ echo: operations });
        else broadcastNext();
      } else if (msg === "echoed") finish();
      else if (msg === "received") broadcastNext();
    });
    clients.on("exit", (code) => { if (code) { console.error(`clients exited with ${code}`); process.exit(1); } });
  });
}

// The child: CLIENTS raw WebSocket clients speaking Engine.IO 4 and
// Socket.IO 5 by hand (the same bytes in every build).
function runClients(packages, port, count) {
  const WebSocket = require(require.resolve("ws", { paths: [join(packages, "engine")] }));
  const url = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
  const payload = JSON.stringify(EVENT_PAYLOAD);
  const sockets = [];
  let connected = 0;
  let echoesLeft = 0; // per client
  let echoing = 0; // clients still echoing
  let newsSeen = 0; // deliveries of the current broadcast
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url);
    let ackId = 0;
    let left = 0;
    const sendEcho = () => { ws.send(`42${ackId++}["echo",${payload}]`); };
    ws.start = () => { left = echoesLeft; sendEcho(); };
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0{")) ws.send("40");
      else if (text.startsWith("40")) {
        if (++connected === count) process.send("connected");
      } else if (text.startsWith("43")) {
        if (--left > 0) sendEcho();
        else if (--echoing === 0) process.send("echoed");
      } else if (text.startsWith("42")) {
        if (++newsSeen === count) {
          newsSeen = 0;
          process.send("received");
        }
      } else if (text === "2") ws.send("3");
    });
    ws.on("error", (error) => { console.error(error); process.exit(1); });
    sockets.push(ws);
  }
  process.on("message", (msg) => {
    echoesLeft = msg.echo;
    echoing = count;
    for (const ws of sockets) ws.start();
  });
  process.on("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------- harness

function countInstructions(packages, name, operations) {
  return new Promise((done, fail) => {
    const args = [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      process.execPath,
      "--predictable",
      __filename,
      "run",
      packages,
      name,
      String(operations),
    ];
    const child = spawn("valgrind", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("exit", (code) => {
      const match = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || !match) return fail(new Error(`${name} ${operations} in ${packages}: exit ${code}\n${stderr.slice(-2000)}`));
      done(Number(match[1]));
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function pool(tasks, jobs) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

async function harness(builds) {
  const names = (process.env.WORKLOADS || Object.keys(WORKLOADS).join(",")).split(",");
  for (const name of names) if (!WORKLOADS[name]) throw new Error(`unknown workload ${name}`);
  const perOp = {}; // name -> label -> [instructions per operation]
  const tasks = [];
  for (const name of names) {
    perOp[name] = Object.fromEntries(builds.map((b) => [b.label, []]));
    const { warm, count } = WORKLOADS[name];
    for (let r = 0; r < REPEATS; r++) {
      // Interleaved: the order of the builds alternates from one repeat to the next.
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        tasks.push(async () => {
          const base = await countInstructions(build.packages, name, warm);
          const full = await countInstructions(build.packages, name, warm + count);
          const value = (full - base) / (opsPerRun(name, warm + count) - opsPerRun(name, warm));
          perOp[name][build.label].push(value);
          console.error(`${name} ${build.label} #${r + 1}: ${value.toFixed(0)} instructions per operation (${base} / ${full})`);
        });
      }
    }
  }
  await pool(tasks, JOBS);

  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const header = ["workload", ...builds.flatMap((b, i) => [`${b.label} instr/op`, `spread`, ...(i > 0 ? [`${b.label} / ${builds[0].label}`] : [])])];
  const rows = names.map((name) => {
    const first = median(perOp[name][builds[0].label]);
    return [
      name,
      ...builds.flatMap((b, i) => {
        const values = perOp[name][b.label];
        const m = median(values);
        const spread = (Math.max(...values) - Math.min(...values)) / m;
        return [fmt(m), `${(spread * 100).toFixed(1)} %`, ...(i > 0 ? [`${(m / first).toFixed(3)}`] : [])];
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(`node ${process.version}, valgrind --tool=callgrind, ${REPEATS} runs per build, medians; server: ${CLIENTS} clients`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

// ---------------------------------------------------------------- main

const [mode, ...rest] = process.argv.slice(2);
if (mode === "run") {
  const [packages, name, operations] = rest;
  const run = name.startsWith("server:") ? runServer : runProtocol;
  run(resolve(packages), name, Number(operations));
} else if (mode === "clients") {
  const [packages, port, count] = rest;
  runClients(packages, Number(port), Number(count));
} else {
  const builds = process.argv.slice(2).map((arg) => {
    const at = arg.indexOf("=");
    if (at < 1) throw new Error("usage: node bench/instructions.js label=/path/to/packages [label=/path/to/packages ...]");
    return { label: arg.slice(0, at), packages: resolve(arg.slice(at + 1)) };
  });
  if (builds.length === 0) throw new Error("usage: node bench/instructions.js label=/path/to/packages [label=/path/to/packages ...]");
  harness(builds).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
