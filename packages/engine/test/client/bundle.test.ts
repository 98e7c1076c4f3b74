import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/**
 * The browser build: no `ws`, no Node built-in, and small: duplex.min.js has
 * a ceiling in bytes min+gzip (the one size test; the engine alone has none).
 */
const SRC = join(__dirname, "../../src/client");
/** min+gzip bytes duplex.min.js may take. */
const CEILING = 9000;

async function bundle(entry: string, platform: "browser" | "node"): Promise<string> {
  const out = await build({
    entryPoints: [join(SRC, entry)],
    bundle: true,
    minify: true,
    platform,
    format: "esm",
    write: false,
    logLevel: "silent",
    external: platform === "node" ? ["ws"] : [],
    // As scripts/bundle.mjs builds the browser bundles: short error messages (see build.ts).
    define: { "globalThis.__DUPLEX_TERSE__": "true" },
  });
  return out.outputFiles[0].text;
}

test("browser.ts bundles without ws or any Node built-in", async () => {
  const code = await bundle("browser.ts", "browser");
  expect(code).not.toMatch(/require\(|from\s*"(ws|node:|events|buffer|http|net|tls|stream|zlib|crypto)/);
  expect(code).not.toMatch(/\bBuffer\b|\bprocess\.|\bglobal\b(?!This)/);
  expect(code).toContain("new WebSocket(");
});

test("the whole client bundle (duplex.min.js, built by scripts/bundle.mjs) stays under its ceiling", () => {
  const root = join(__dirname, "../../../..");
  const out = mkdtempSync(join(tmpdir(), "duplex-bundle-"));
  try {
    const printed = execFileSync(process.execPath, [join(root, "scripts/bundle.mjs"), "--out", out, "--json"], { encoding: "utf8" });
    const sizes = JSON.parse(printed.trim().split("\n").pop()!) as Record<string, { min: number; gzip: number }>;
    const code = readFileSync(join(out, "duplex.min.js"), "utf8");
    expect(sizes["duplex.min.js"].gzip).toBe(gzipSync(code, { level: 9 }).length);
    // The bundle holds neither eventemitter3 (swapped for the engine's emitter) nor Node built-ins.
    expect(code).not.toMatch(/_eventsCount|require\(|\bBuffer\b/);
    // eslint-disable-next-line no-console
    console.log(`client browser bundle: ${sizes["duplex.min.js"].min} B min, ${sizes["duplex.min.js"].gzip} B min+gzip`);
    expect(sizes["duplex.min.js"].gzip).toBeLessThanOrEqual(CEILING);

    // The production bundles leave out the polling request on the side that
    // explains a failed WebSocket (build.ts SIDE_DIAGNOSIS); the development
    // bundles, unminified and with full messages, keep it.
    for (const file of ["duplex.min.js", "duplex.esm.min.js"]) {
      const production = readFileSync(join(out, file), "utf8");
      expect(production).not.toMatch(/polling works|&sid=/);
      expect(production).not.toContain("closed before the handshake");
    }
    for (const file of ["duplex.js", "duplex.esm.js"]) {
      const development = readFileSync(join(out, file), "utf8");
      expect(development).toContain("polling works: a proxy blocks WebSocket?");
      expect(development).toContain('"&sid="');
      expect(development).toContain("closed before the handshake");
      expect(development.split("\n").length).toBeGreaterThan(1000);
      expect(sizes[file].min).toBe(Buffer.byteLength(development));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the Node entry is the one that brings ws", async () => {
  const code = await bundle("index.ts", "node");
  expect(code).toMatch(/from\s*"ws"/);
});

test('package.json maps "./client" to the browser build under the "browser" condition', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as {
    exports: Record<string, Record<string, string>>;
  };
  expect(pkg.exports["./client"]).toEqual({
    types: "./dist/client/index.d.ts",
    browser: "./dist/client/browser.js",
    default: "./dist/client/index.js",
  });
});
