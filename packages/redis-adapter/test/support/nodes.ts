import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";

const ROOT = resolve(__dirname, "../../../..");


/** Bundles a fixture (TypeScript, from source) into a temp dir; returns the .js path. */
export function bundle(fixture: string): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "duplex-node-"));
  const file = join(dir, "node.js");
  buildSync({
    entryPoints: [resolve(__dirname, "../fixtures", fixture)],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "error",
    external: ["bufferutil", "utf-8-validate"],
    alias: {
      "@duplex/engine": join(ROOT, "packages/engine/src/index.ts"),
      "@duplex/protocol": join(ROOT, "packages/protocol/src/index.ts"),
      "@duplex/server": join(ROOT, "packages/server/src/index.ts"),
      "@duplex/redis-adapter": join(ROOT, "packages/redis-adapter/src/index.ts"),
    },
    nodePaths: [join(ROOT, "packages/redis-adapter/node_modules"), join(ROOT, "node_modules")],
  });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface NodeProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Runs `code` in the node as the body of `async (io, state, config) => {…}`; resolves with its result. */
  run<T = unknown>(code: string): Promise<T>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** Graceful: io.close(), then the process exits when the IPC channel closes. */
  stop(): Promise<void>;
}

/** Starts a node process running the bundled fixture with `config` (DUPLEX_NODE). */
export function startNode(file: string, config: Record<string, unknown> & { name: string }): Promise<NodeProcess> {
  const child = fork(file, [], {
    env: { ...process.env, DUPLEX_NODE: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  let nextId = 0;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  return new Promise((resolveStart, rejectStart) => {
    child.once("exit", (code) => {
      rejectStart(new Error(`node ${config.name} exited (${code}) before it was ready`));
      for (const w of waiting.values()) w.reject(new Error(`node ${config.name} exited`));
      waiting.clear();
    });
    child.on("message", (msg: { ready?: boolean; port?: number; id?: number; result?: unknown; error?: string }) => {
      if (msg.ready) {
        const port = msg.port!;
        resolveStart({
          name: config.name,
          port,
          url: `http://127.0.0.1:${port}`,
          child,
          run<T>(code: string) {
            return new Promise<T>((res, rej) => {
              const id = ++nextId;
              waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, code });
            });
          },
          async kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            await exited;
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const id = ++nextId;
            child.send({ id, code: "await io.close(); setTimeout(() => process.exit(0), 50);" });
            await exited;
          },
        });
        return;
      }
      const w = waiting.get(msg.id!);
      if (w === undefined) return;
      waiting.delete(msg.id!);
      if (msg.error !== undefined) w.reject(new Error(msg.error));
      else w.resolve(msg.result);
    });
  });
}

/** Polls `check` (an event is not available across processes) until it holds; rejects after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until every node's adapter counts `nodes.length` servers (heartbeats exchanged). */
export async function untilPeers(nodes: NodeProcess[], ms = 10_000, what = ""): Promise<void> {
  for (const n of nodes) {
    await until(`${n.name} sees ${nodes.length} nodes${what}`, async () => (await n.run<number>("return io.of('/').adapter.serverCount()")) === nodes.length, ms);
  }
}
