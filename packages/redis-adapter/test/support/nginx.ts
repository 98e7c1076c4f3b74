import { nginxConf } from "../../../../test-support/nginx";

export { startNginx, type Nginx } from "../../../../test-support/nginx";

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
  return nginxConf(
    dir,
    `
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
  }`,
  );
}

/**
 * Plain round-robin over `nodes`, as docs/scaling.md shows for
 * `forwardRequests`: no ip_hash, no affinity cookie; WebSocket upgrades pass;
 * no request is retried on another node (see docs/scaling.md for why).
 */
export function roundRobinConf(dir: string, listen: number, nodes: { port: number }[]): string {
  return nginxConf(
    dir,
    `
  upstream duplex_nodes {
${nodes.map((n) => `    server 127.0.0.1:${n.port} max_fails=1 fail_timeout=10s;`).join("\n")}
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ""      "";
  }
  server {
    listen 127.0.0.1:${listen};
    location /socket.io/ {
      proxy_pass http://duplex_nodes;
      proxy_next_upstream off;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 60s;
    }
  }`,
  );
}
