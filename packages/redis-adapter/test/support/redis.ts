import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { accepting, freePort } from "../../../../test-support/net";

export { accepting, freePort };

/** Whether the process `pid` still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  /** SIGTERM (or `signal`) to the pid it started, waits until the process is gone. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts again on the same port (after stop). */
  start(): Promise<void>;
}

/**
 * A redis-server of its own on a free port, daemonized with a pidfile in a
 * temp dir (TOOLCHAIN.md); never the machine's 6379 one.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "duplex-redis-"));
  const port = await freePort();
  const pidfile = join(dir, "redis.pid");
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: 0,
    async start() {
      rmSync(pidfile, { force: true });
      const r = spawnSync("redis-server", [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--daemonize", "yes", "--pidfile", pidfile, "--dir", dir, "--logfile", join(dir, "redis.log"),
      ]);
      if (r.status !== 0) throw new Error(`redis-server failed: ${r.stderr}`);
      await accepting(port);
      const deadline = Date.now() + 5000;
      while (!existsSync(pidfile) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      server.pid = Number(readFileSync(pidfile, "utf8").trim());
    },
    async stop(signal = "SIGTERM") {
      const pid = server.pid;
      if (!pid || !alive(pid)) return;
      process.kill(pid, signal);
      while (alive(pid)) await new Promise((res) => setTimeout(res, 10));
    },
  };
  await server.start();
  const stop = server.stop;
  let stopped = false;
  // The final stop also removes the temp dir.
  Object.assign(server, {
    stop: async (signal?: "SIGTERM" | "SIGKILL") => {
      await stop(signal);
      stopped = true;
    },
  });
  process.once("exit", () => {
    if (!stopped && server.pid && alive(server.pid)) process.kill(server.pid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}
