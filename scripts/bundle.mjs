#!/usr/bin/env node
// Builds the browser bundles of @duplex/client with esbuild, from the
// TypeScript sources (ES modules tree-shake; the CommonJS in dist/ would not):
//   packages/client/dist/duplex.min.js      production, IIFE, global `duplex` ({ io, Manager, Socket })
//   packages/client/dist/duplex.esm.min.js  production, ES module
//   packages/client/dist/duplex.js          development, IIFE, global `duplex`
//   packages/client/dist/duplex.esm.js      development, ES module
// and a source map of each (<file>.map, pointing at the TypeScript sources).
// The production bundles are minified (esbuild, then terser), carry short
// error messages (codes unchanged) and leave out the side diagnosis of a
// failed WebSocket; the development bundles are the same code unminified,
// with full messages and that diagnosis (see each package's src/build.ts).
// The scripts carry no sourceMappingURL comment: a Duplex server serving them
// names the map in a `SourceMap` header instead, under whatever name it serves
// the script (socket.io.min.js, say); elsewhere, load the map by hand.
//
//   node scripts/bundle.mjs                 builds all four
//   node scripts/bundle.mjs --sizes         also prints their sizes (min and min+gzip for the production ones)
//   node scripts/bundle.mjs --why           also prints the bytes of duplex.min.js each source accounts for
//   node scripts/bundle.mjs --out DIR       writes to DIR instead (tests)
//   node scripts/bundle.mjs --json          prints {file: {min, gzip}} (tests; `min` is the plain size of a development bundle)
import { build } from "esbuild";
import { minify } from "terser";
import { gzipSync } from "node:zlib";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const outIndex = argv.indexOf("--out");
const out = outIndex >= 0 ? argv[outIndex + 1] : join(root, "packages/client/dist");

// Workspace packages resolve to their sources; the engine client to its browser entry.
// eventemitter3, which only packages/client/src/event-emitter.ts imports, becomes
// the engine client's own emitter, which the bundle carries anyway: that module
// describes the seam. Node and other bundlers keep eventemitter3.
const SOURCES = {
  "@duplex/engine/client": "packages/engine/src/client/browser.ts",
  "@duplex/protocol": "packages/protocol/src/index.ts",
  eventemitter3: "packages/engine/src/client/emitter.ts",
};
const workspaceSources = {
  name: "workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^(@duplex\/|eventemitter3$)/ }, (args) => {
      const file = SOURCES[args.path];
      if (!file) return { errors: [{ text: `${args.path} has no browser source mapping in scripts/bundle.mjs` }] };
      return { path: join(root, file) };
    });
  },
};

const common = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  legalComments: "none",
  plugins: [workspaceSources],
  logLevel: "warning",
  metafile: true,
  write: false,
};

// What each package's src/build.ts reads. The production bundles: short error
// messages (codes unchanged), a protocol codec without the guards only a server
// needs (the JSON depth limit, the checks of the decoder's options and of the
// packets to encode), and no polling request on the side to explain a failed
// WebSocket. The development bundles: full messages and that side request, the
// same codec. Defined either way, so that no page global can change them.
const PRODUCTION = {
  "globalThis.__DUPLEX_TERSE__": "true",
  "globalThis.__DUPLEX_CLIENT_BUNDLE__": "true",
  "globalThis.__DUPLEX_PRODUCTION_BUNDLE__": "true",
};
const DEVELOPMENT = {
  "globalThis.__DUPLEX_TERSE__": "false",
  "globalThis.__DUPLEX_CLIENT_BUNDLE__": "true",
  "globalThis.__DUPLEX_PRODUCTION_BUNDLE__": "false",
};

// The IIFE scripts set `globalThis.duplex` themselves (global.ts). esbuild starts
// them with "use strict" (the sources compile under tsconfig's `strict`), so
// they run strict, as the ES modules do.
const targets = [
  { file: "duplex.min.js", format: "iife", entry: "global.ts", production: true },
  { file: "duplex.esm.min.js", format: "esm", entry: "browser.ts", production: true },
  { file: "duplex.js", format: "iife", entry: "global.ts", production: false },
  { file: "duplex.esm.js", format: "esm", entry: "browser.ts", production: false },
];

mkdirSync(out, { recursive: true });
const sizes = {};
for (const t of targets) {
  const r = await build({
    ...common,
    minify: t.production,
    define: t.production ? PRODUCTION : DEVELOPMENT,
    entryPoints: [join(root, "packages/client/src", t.entry)],
    format: t.format,
    outfile: join(out, t.file),
    sourcemap: "external",
    sourceRoot: "",
  });
  const esbuilt = r.outputFiles.find((f) => f.path.endsWith(".js")).text;
  const esbuildMap = r.outputFiles.find((f) => f.path.endsWith(".map")).text;
  if (!t.production) {
    writeFileSync(join(out, t.file), esbuilt);
    writeFileSync(join(out, `${t.file}.map`), esbuildMap);
    sizes[t.file] = { min: Buffer.byteLength(esbuilt), gzip: gzipSync(esbuilt, { level: 9 }).length };
    continue;
  }
  // A second pass by terser: esbuild minifies in one pass, terser's compressor
  // iterates (inlines single-use functions and constants, merges sequences).
  const minified = await minify(esbuilt, {
    ecma: 2020,
    module: t.format === "esm",
    compress: { passes: 2 },
    sourceMap: { content: esbuildMap, filename: t.file, includeSources: true },
  });
  const code = Buffer.from(minified.code);
  writeFileSync(join(out, t.file), code);
  writeFileSync(join(out, `${t.file}.map`), minified.map);
  sizes[t.file] = { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
  if (argv.includes("--why") && t.format === "iife") {
    const rows = Object.entries(bytesPerSource(minified.code, JSON.parse(minified.map))).sort((a, b) => b[1] - a[1]);
    for (const [file, bytes] of rows) console.log(String(bytes).padStart(7), relative(root, resolve(out, file)));
  }
}

/**
 * The bytes of the final script that each source accounts for, read from the
 * script's source map: every mapped segment runs to the next one. What the
 * minifiers dropped (messages only a full build uses, unused helpers) counts
 * for nothing.
 */
function bytesPerSource(code, map) {
  const bytes = {};
  const lines = code.split("\n");
  let source = 0;
  map.mappings.split(";").forEach((line, index) => {
    // Each segment: generated column (from the line's previous segment), source index, ... (the rest from the previous segment).
    const segments = line ? line.split(",").map(decodeVlq) : [];
    let column = 0;
    const starts = segments.map((fields) => {
      column += fields[0];
      if (fields.length > 1) source += fields[1];
      return { column, source: fields.length > 1 ? map.sources[source] : undefined };
    });
    starts.forEach((start, i) => {
      const end = i + 1 < starts.length ? starts[i + 1].column : lines[index].length;
      if (start.source) bytes[start.source] = (bytes[start.source] || 0) + end - start.column;
    });
  });
  return bytes;
}

/** The numbers of one source map segment (base64 VLQ). */
function decodeVlq(segment) {
  const numbers = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    numbers.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return numbers;
}

if (argv.includes("--json")) console.log(JSON.stringify(sizes));
if (argv.includes("--sizes")) {
  const line = (name, s) => console.log(`${name.padEnd(40)} ${String(s.min).padStart(7)} bytes min  ${String(s.gzip).padStart(6)} bytes min+gzip`);
  for (const t of targets.filter((t) => t.production)) line(t.file, sizes[t.file]);
  for (const t of targets.filter((t) => !t.production)) {
    const s = sizes[t.file];
    console.log(`${t.file.padEnd(40)} ${String(s.min).padStart(7)} bytes      ${String(s.gzip).padStart(6)} bytes gzip      (development)`);
  }
  // The reference, measured the same way (a dev dependency, for comparison only).
  const ref = readFileSync(join(root, "node_modules/socket.io-client/dist/socket.io.min.js"));
  line("socket.io-client 4.8.4 socket.io.min.js", { min: ref.length, gzip: gzipSync(ref, { level: 9 }).length });
}
