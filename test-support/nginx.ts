import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accepting } from "./net";

export interface Nginx {
  /** The directory holding nginx.conf, its logs and temp files. */
  dir: string;
  pid: number;
  /** Graceful stop (SIGQUIT to the pid this started), then deletes `dir`. */
  stop(): Promise<void>;
}

/** Finds the nginx binary, or throws naming the install command (`npm test` installs it as root: scripts/system-deps.js). */
export function nginxBinary(): string {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) {
    if (spawnSync(candidate, ["-v"]).status === 0) return candidate;
  }
  throw new Error("nginx not found: install it with `apt-get update && apt-get install -y nginx` (`npm test` does when run as root: scripts/system-deps.js)");
}

/**
 * The frame of an nginx.conf whose every path lies in `dir`: nothing is
 * written to /var or /etc, so a test run needs no privileges and leaves no
 * trace. `http` is the body of the `http {}` block (server blocks). Each
 * proxied request holds two connections: 1024 leaves room for a hundred
 * clients with a poll and a send in flight each.
 */
export function nginxConf(dir: string, http: string): string {
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}

/**
 * Starts `nginx -c <dir>/nginx.conf -p <dir>/ -e <dir>/error.log -g 'daemon off;'`
 * with the configuration `conf(dir)`, and resolves once every port in
 * `ports` accepts connections on 127.0.0.1.
 */
export async function startNginx(conf: (dir: string) => string, ports: number[]): Promise<Nginx> {
  const bin = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), "duplex-nginx-"));
  writeFileSync(join(dir, "nginx.conf"), conf(dir));
  const child = spawn(bin, ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", join(dir, "error.log"), "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGQUIT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      Promise.all(ports.map((port) => accepting(port, 10_000, () => child.exitCode !== null || child.signalCode !== null))),
      exited.then((code) => {
        throw new Error(`nginx exited (${code}) before listening: ${stderr}${readLog(dir)}`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, pid: child.pid!, stop };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, "error.log"), "utf8");
  } catch {
    return "";
  }
}
