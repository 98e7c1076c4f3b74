import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/**
 * The browser build: no `ws`, no Node built-in, and small. The budget: the
 * whole Socket.IO client bundle must stay ≤ 7,000 bytes min+gzip.
 */
const SRC = join(__dirname, "../../src/client");

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
    // As scripts/bundle.mjs builds the browser bundles: short error messages (see errors.ts).
    define: { "globalThis.__DUPLEX_TERSE__": "true" },
  });
  return out.outputFiles[0].text;
}

test("browser.ts bundles without ws or any Node built-in, under the size guard", async () => {
  const code = await bundle("browser.ts", "browser");
  expect(code).not.toMatch(/require\(|from\s*"(ws|node:|events|buffer|http|net|tls|stream|zlib|crypto)/);
  expect(code).not.toMatch(/\bBuffer\b|\bprocess\.|\bglobal\b(?!This)/);
  expect(code).toContain("new WebSocket(");
  const size = gzipSync(code, { level: 9 }).length;
  // eslint-disable-next-line no-console
  console.log(`engine client browser bundle: ${code.length} B min, ${size} B min+gzip`);
  expect(size).toBeLessThanOrEqual(4550); // regression guard; measured 4,518 (issue 5)
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
