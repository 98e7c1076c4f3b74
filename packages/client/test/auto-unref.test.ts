import { spawn } from "node:child_process";
import { join } from "node:path";
import { closeAll, startServer } from "./helpers";

afterEach(() => closeAll());

/**
 * A Node program that connects, then does nothing: it keeps itself alive
 * (a timer of its own) only until "connect", then drops that timer. What is
 * left are the client's timers and sockets. Runs the built package (after
 * `npm run build`), or socket.io-client 4.8.4 for reference.
 */
function program(url: string, module: string, opts: object): { exited: Promise<number | null>; connected: Promise<number>; kill(): void } {
  const script = `
    const { io } = require(${JSON.stringify(module)});
    const keepAlive = setTimeout(() => { console.log("no connect"); process.exit(2); }, 10000);
    const socket = io(${JSON.stringify(url)}, ${JSON.stringify({ forceNew: true, ...opts })});
    socket.on("connect", () => { clearTimeout(keepAlive); console.log("connected " + socket.io.engine.transport.name); });`;
  const child = spawn(process.execPath, ["-e", script], { cwd: join(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  const connected = new Promise<number>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      if (output.includes("connected")) resolve(Date.now());
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { exited, connected, kill: () => child.kill() };
}

/** Resolves with true if `p` settles within `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe("autoUnref (Node), against socket.io 4.8.4", () => {
  test.each([
    ["@duplex/client", { autoUnref: true }],
    ["@duplex/client", { autoUnref: true, transports: ["polling"] }],
    ["@duplex/client", { autoUnref: true, transports: ["websocket"] }],
    ["socket.io-client", { autoUnref: true }],
  ])("%s with %j: the program exits by itself once connected", async (module, opts) => {
    const h = await startServer("socket.io");
    const child = program(h.url, module, opts);
    await child.connected;
    // Nothing of the client's may hold the process: the server's heartbeat (25 s) is far away.
    const exitedInTime = await within(child.exited, 5000);
    if (!exitedInTime) child.kill();
    expect(exitedInTime).toBe(true);
    expect(await child.exited).toBe(0);
  });

  test.each([
    ["default transports", {}],
    ["polling only", { transports: ["polling"] }],
  ])("without autoUnref (%s) the connected program stays alive", async (_name, opts) => {
    const h = await startServer("socket.io");
    const child = program(h.url, "@duplex/client", opts);
    await child.connected;
    const exited = await within(child.exited, 2000);
    child.kill();
    expect(exited).toBe(false);
  });
});
