import { execFile } from "node:child_process";
import { join } from "node:path";

// Every package, built (`npm run build` runs before the tests), loads by its
// name from require() and from import, with its declared exports (issue 2).
const PACKAGES: Array<[string, string, string[]]> = [
  ["engine", "@duplex/engine", ["attach", "listen", "EngineServer", "PreparedMessage"]],
  ["engine", "@duplex/engine/client", ["Socket", "EngineClientError"]],
  ["protocol", "@duplex/protocol", ["Encoder", "Decoder", "AckRegistry", "PacketType"]],
  ["server", "@duplex/server", ["Server", "Namespace", "Socket", "Adapter"]],
  ["client", "@duplex/client", ["io", "Manager", "Socket"]],
  ["redis-adapter", "@duplex/redis-adapter", ["createAdapter", "setupPrimary", "setupWorker"]],
];

function node(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { cwd, timeout: 10000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

test.each(PACKAGES)("packages/%s: %s from require() and import", async (dir, name, names) => {
  const cwd = join(__dirname, "../..", dir);
  const list = JSON.stringify(names);
  const viaRequire = await node(cwd, ["-e", `const m = require(${JSON.stringify(name)}); console.log(${list}.map((n) => typeof m[n]).join())`]);
  const viaImport = await node(cwd, [
    "--input-type=module",
    "-e",
    `const m = await import(${JSON.stringify(name)}); console.log(${list}.map((n) => typeof m[n]).join())`,
  ]);
  for (const out of [viaRequire, viaImport]) expect(out.split(",")).not.toContain("undefined");
});
