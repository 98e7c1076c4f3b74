import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accepting } from "./redis";

export function nginxBinary(): string {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (spawnSync(candidate, ["-v"]).status === 0) return candidate;
  throw new Error("nginx not found: install it with `apt-get update && apt-get install -y nginx` (.ci/run does)");
}

/**
 * The sticky configuration of docs/scaling.md ("cookie naming the node"),
 * every path in `dir`. Each node sets `srv=<name>` at handshake; requests with
 * the cookie go to that node (the other one as backup, so a dead node's
 * clients land on a live one), requests without it round-robin.
 */
export function stickyConf(dir: string, listen: number, nodes: { name: string; port: number }[]): string {
  const upstreams = nodes
    .map((n) => {
      const others = nodes.filter((o) => o !== n).map((o) => `    server 127.0.0.1:${o.port} backup;`);
      return `  upstream node_${n.name} {\n    server 127.0.0.1:${n.port} max_fails=1 fail_timeout=10s;\n${others.join("\n")}\n  }`;
    })
    .join("\n");
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

  upstream all_nodes {
${nodes.map((n) => `    server 127.0.0.1:${n.port} max_fails=1 fail_timeout=10s;`).join("\n")}
  }
${upstreams}
  map $cookie_srv $sticky_upstream {
${nodes.map((n) => `    ${n.name} node_${n.name};`).join("\n")}
    default all_nodes;
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ""      "";
  }
  server {
    listen 127.0.0.1:${listen};
    location /socket.io/ {
      proxy_pass http://$sticky_upstream;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 60s;
    }
  }
}
`;
}

export interface Nginx {
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground (`daemon off;`) on `conf(dir)`; stops with SIGQUIT to its pid. */
export async function startNginx(conf: (dir: string) => string, port: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "duplex-nginx-"));
  writeFileSync(join(dir, "nginx.conf"), conf(dir));
  const child = spawn(nginxBinary(), ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", join(dir, "error.log"), "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGQUIT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await accepting(port);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, stop };
}
