#!/usr/bin/env node
// Builds the browser bundles of @duplex/client with esbuild, from the
// TypeScript sources (ES modules tree-shake; the CommonJS in dist/ would not):
//   packages/client/dist/duplex.min.js      IIFE, global `duplex` ({ io, Manager, Socket })
//   packages/client/dist/duplex.esm.min.js  ES module
// `node scripts/bundle.mjs --sizes` also prints min and min+gzip sizes.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { readFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "packages/client/dist");

// Workspace packages resolve to their sources; the engine client to its browser entry.
const SOURCES = {
  "@duplex/engine/client": "packages/engine/src/client/browser.ts",
  "@duplex/protocol": "packages/protocol/src/index.ts",
};
const workspaceSources = {
  name: "workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@duplex\// }, (args) => {
      const file = SOURCES[args.path];
      if (!file) return { errors: [{ text: `${args.path} has no browser source mapping in scripts/bundle.mjs` }] };
      return { path: join(root, file) };
    });
  },
};

const common = {
  entryPoints: [join(root, "packages/client/src/browser.ts")],
  bundle: true,
  minify: true,
  platform: "browser",
  target: "es2022",
  legalComments: "none",
  plugins: [workspaceSources],
  // Short error messages (codes unchanged): see packages/protocol/src/errors.ts.
  define: { "globalThis.__DUPLEX_TERSE__": "true" },
  logLevel: "warning",
};

mkdirSync(out, { recursive: true });
const targets = [
  { file: "duplex.min.js", format: "iife", globalName: "duplex" },
  { file: "duplex.esm.min.js", format: "esm" },
];
for (const t of targets) {
  await build({ ...common, format: t.format, globalName: t.globalName, outfile: join(out, t.file) });
}

if (process.argv.includes("--sizes")) {
  const line = (name, code) =>
    console.log(`${name.padEnd(36)} ${String(code.length).padStart(7)} bytes min  ${String(gzipSync(code, { level: 9 }).length).padStart(6)} bytes min+gzip`);
  for (const t of targets) line(t.file, readFileSync(join(out, t.file)));
  // The reference, measured the same way (a dev dependency, for comparison only).
  line("socket.io-client 4.8.4 socket.io.min.js", readFileSync(join(root, "node_modules/socket.io-client/dist/socket.io.min.js")));
}
