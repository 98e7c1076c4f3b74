/**
 * The packages as a user's project sees them. `npm run pack` builds every
 * publishable package and writes its tarball (workspace ranges rewritten) to
 * dist-packages/. This test runs its second half, `npm run pack:tarballs`, on
 * the build `npm test` has just made (rebuilding here would rewrite the
 * client bundles while other test files read them); then:
 *
 * - publint and arethetypeswrong (attw) report nothing on any tarball;
 * - the tarballs, installed with plain `npm install` into a project under
 *   os.tmpdir() (outside the workspace, so nothing resolves to its sources):
 *   a CommonJS server and an ES module client exchange an emit with ack; typed
 *   samples (test/fixtures/installed/*.ts) compile under moduleResolution
 *   nodenext (ESM and CommonJS) and bundler, with skipLibCheck on and off, and
 *   every `@ts-expect-error` in them (a wrong event name, a wrong argument)
 *   marks a real error; a page bundled by esbuild from the installed client
 *   talks to the installed server in Chromium.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { build } from "esbuild";
import * as ts from "typescript";
import { launchChromium, type Browser } from "../test-support/chromium";

const ROOT = join(__dirname, "..");
const OUT = join(ROOT, "dist-packages");
const FIXTURES = join(__dirname, "fixtures/installed");
const BIN = join(ROOT, "node_modules/.bin");
const PACKAGES = ["engine", "protocol", "server", "client", "redis-adapter", "cli"];
const tarball = (name: string) => join(OUT, `duplex-${name}-0.1.0.tgz`);

// The browser bundles are assets (a classic script that sets the global
// `duplex`, and a browser ES module), exported so that require.resolve and
// bundlers find them; they carry no type declarations, and attw's Node
// module-format check does not apply to them, nor to their source maps.
const ATTW_EXCLUDED: Record<string, string[]> = {
  client: [
    "./dist/duplex.min.js",
    "./dist/duplex.esm.min.js",
    "./dist/duplex.min.js.map",
    "./dist/duplex.esm.min.js.map",
    "./dist/duplex.js",
    "./dist/duplex.esm.js",
    "./dist/duplex.js.map",
    "./dist/duplex.esm.js.map",
  ],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never rejects, so a failure shows its output in the assertion. */
function run(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? 60000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * The environment for commands run in the temporary project: without the
 * npm_* variables of the `npm test` that started jest (its prefix, its
 * workspace, its script name), so npm treats that folder as its own project.
 */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")));
}

beforeAll(async () => {
  const unbuilt = PACKAGES.filter((name) => !existsSync(join(ROOT, "packages", name, "dist/index.js")));
  if (!existsSync(join(ROOT, "packages/client/dist/duplex.min.js"))) unbuilt.push("client bundles");
  if (unbuilt.length > 0) throw new Error(`not built (${unbuilt.join(", ")}): run \`npm run build\` first (\`npm test\` does)`);
  rmSync(OUT, { recursive: true, force: true });
  const pack = await run("npm", ["run", "pack:tarballs"], { cwd: ROOT, timeout: 120000 });
  if (pack.code !== 0) throw new Error(`npm run pack:tarballs failed (${pack.code}):\n${pack.stdout}\n${pack.stderr}`);
  expect(readdirSync(OUT).sort()).toEqual(PACKAGES.map((name) => `duplex-${name}-0.1.0.tgz`).sort());
}, 120000);

describe.each(PACKAGES)("@duplex/%s tarball", (name) => {
  test("publint reports nothing, not even a suggestion", async () => {
    const result = await run(join(BIN, "publint"), ["run", tarball(name)], { cwd: ROOT });
    expect(result.stdout).toContain("All good!");
    expect(result.code).toBe(0);
  });

  test("every source map's sources are in the tarball, and no test file is", async () => {
    const listing = await run("tar", ["-tzf", tarball(name)], { cwd: ROOT });
    const entries = new Set(listing.stdout.split("\n").filter((line) => line !== ""));
    const maps = [...entries].filter((entry) => entry.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const extracted = await run("tar", ["-xzOf", tarball(name), map], { cwd: ROOT });
      const { sources, sourcesContent } = JSON.parse(extracted.stdout) as { sources: string[]; sourcesContent?: unknown[] };
      // A map that carries its sources (the browser bundles' maps) needs no file.
      if (sourcesContent?.length === sources.length && sourcesContent.every((content) => typeof content === "string")) continue;
      for (const source of sources) {
        const entry = posix.normalize(posix.join(posix.dirname(map), source));
        if (!entries.has(entry)) missing.push(`${map} -> ${entry}`);
      }
    }
    expect(missing).toEqual([]);
    expect([...entries].filter((entry) => entry.endsWith(".test.ts"))).toEqual([]);
  });

  test("attw finds no problem in any module resolution mode", async () => {
    const excluded = ATTW_EXCLUDED[name] ?? [];
    const args = [tarball(name), "--format", "json", ...(excluded.length > 0 ? ["--exclude-entrypoints", ...excluded] : [])];
    const result = await run(join(BIN, "attw"), args, { cwd: ROOT });
    const report = JSON.parse(result.stdout) as { problems: Record<string, unknown[]>; analysis: { entrypoints: Record<string, unknown> } };
    expect(report.problems).toEqual({});
    expect(Object.keys(report.analysis.entrypoints)).toContain(".");
    expect(result.code).toBe(0);
  }, 60000);
});

/** A new project under os.tmpdir() with `specs` installed by plain `npm install`. */
async function npmProject(prefix: string, specs: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "duplex-installed", private: true }));
  const install = await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], { cwd: dir, env: userEnv(), timeout: 90000 });
  if (install.code !== 0) throw new Error(`npm install in ${dir} failed (${install.code}):\n${install.stdout}\n${install.stderr}`);
  return dir;
}

describe("installed from the tarballs into a project outside the workspace", () => {
  // An application's project: every package but the CLI, whose @types/ws
  // would otherwise be hoisted here and hide an engine declaration that needs it.
  let project = "";
  // A project with the CLI alone.
  let cliProject = "";
  let server: ChildProcess | null = null;
  let port = 0;

  beforeAll(async () => {
    const application = PACKAGES.filter((name) => name !== "cli").map(tarball);
    [project, cliProject] = await Promise.all([
      npmProject("duplex-installed-", [...application, "@types/node@20.19.0"]),
      npmProject("duplex-installed-cli-", [tarball("cli"), "@types/node@20.19.0"]),
    ]);
    for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(project, file));

    await build({
      entryPoints: [join(project, "page.mjs")],
      outfile: join(project, "page.bundle.js"),
      bundle: true,
      format: "esm",
      platform: "browser",
      absWorkingDir: project,
      logLevel: "silent",
    });

    server = spawn(process.execPath, ["server.cjs"], { cwd: project, env: userEnv(), stdio: ["ignore", "pipe", "inherit"] });
    port = await new Promise<number>((resolve, reject) => {
      server!.once("exit", (code) => reject(new Error(`server.cjs exited (${code}) before listening`)));
      server!.stdout!.once("data", (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
    });
  }, 120000);

  afterAll(() => {
    server?.kill();
    for (const dir of [project, cliProject]) if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  test("the tarballs depend on each other by version, not workspace:", async () => {
    const manifest = await run("node", ["-p", "JSON.stringify(require('@duplex/redis-adapter/package.json'))"], { cwd: project, env: userEnv() });
    const pkg = JSON.parse(manifest.stdout) as { peerDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.peerDependencies).toEqual({ "@duplex/server": "^0.1.0" });
    expect(JSON.stringify(pkg)).not.toContain("workspace:");
  });

  test("require.resolve finds the client's browser bundles", async () => {
    const script = ["duplex.min.js", "duplex.esm.min.js"].map((file) => `require.resolve("@duplex/client/dist/${file}")`).join(",");
    const result = await run("node", ["-p", `[${script}].map((p) => require("path").relative(process.cwd(), p)).join()`], { cwd: project, env: userEnv() });
    expect(result.stdout.trim()).toBe("node_modules/@duplex/client/dist/duplex.min.js,node_modules/@duplex/client/dist/duplex.esm.min.js");
  });

  test("the development bundles and every bundle's map resolve too; the development ES module under the browser condition", async () => {
    const resolve = async (files: string[], conditions: string[]) => {
      const script = files.map((file) => `require.resolve("@duplex/client/dist/${file}")`).join(",");
      const args = [...conditions, "-p", `[${script}].map((p) => require("path").relative(process.cwd(), p)).join()`];
      return (await run("node", args, { cwd: project, env: userEnv() })).stdout.trim();
    };
    const files = ["duplex.js", "duplex.js.map", "duplex.esm.js.map", "duplex.min.js.map", "duplex.esm.min.js.map"];
    expect(await resolve(files, [])).toBe(files.map((file) => `node_modules/@duplex/client/dist/${file}`).join());
    // An ES module in a CommonJS package: exported for browsers and bundlers only, where the format is read from the code.
    expect(await resolve(["duplex.esm.js"], ["--conditions=browser"])).toBe("node_modules/@duplex/client/dist/duplex.esm.js");
    expect(await resolve(["duplex.esm.js"], [])).toBe("");
  });

  test("ES modules import every package by name", async () => {
    const imports = [
      'import { Server } from "@duplex/server";',
      'import { createAdapter } from "@duplex/redis-adapter";',
      'import { attach } from "@duplex/engine";',
      'import { Socket as EngineSocket } from "@duplex/engine/client";',
      'import { Encoder } from "@duplex/protocol";',
      "console.log([Server, createAdapter, attach, EngineSocket, Encoder].map((value) => typeof value).join());",
    ];
    const result = await run("node", ["--input-type=module", "-e", imports.join("\n")], { cwd: project, env: userEnv() });
    expect(result).toMatchObject({ code: 0, stdout: "function,function,function,function,function\n" });
  });

  test("an ES module client in Node gets the ack of a CommonJS server", async () => {
    const result = await run("node", ["client.mjs", `http://127.0.0.1:${port}`], { cwd: project, env: userEnv(), timeout: 15000 });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ greeting: "hello node, from a CommonJS server", sameIo: true, isSocket: true });
  });

  // [folder, package.json "type", module, moduleResolution]
  const MODES: Array<[string, string, string, string]> = [
    ["nodenext-esm", "module", "nodenext", "nodenext"],
    ["nodenext-cjs", "commonjs", "nodenext", "nodenext"],
    ["bundler", "module", "esnext", "bundler"],
  ];

  // Declaration files parsed once and shared by the six programs (@types/node
  // and lib.dom are most of the work); each program still checks them afresh.
  const parsed = new Map<string, ts.SourceFile | undefined>();

  /** The repository's TypeScript compiling `dir`'s tsconfig.json; returns the diagnostics, formatted. */
  function compile(dir: string, skipLibCheck: boolean): string {
    // skipLibCheck false checks every declaration file the program loads:
    // @duplex's, @types/node's, eventemitter3's. TypeScript's own lib files
    // are left out (skipDefaultLibCheck): nothing installed can break them,
    // and checking lib.dom would triple the time.
    const config = ts.getParsedCommandLineOfConfigFile(join(dir, "tsconfig.json"), { skipLibCheck, skipDefaultLibCheck: true }, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    });
    if (config === undefined) throw new Error(`no tsconfig.json in ${dir}`);
    const host = ts.createCompilerHost(config.options);
    const readSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      if (!fileName.includes("/node_modules/")) return readSourceFile(fileName, languageVersion, onError, shouldCreate);
      const key = `${fileName} ${JSON.stringify(languageVersion)}`;
      if (!parsed.has(key)) parsed.set(key, readSourceFile(fileName, languageVersion, onError, shouldCreate));
      return parsed.get(key);
    };
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
    return ts.formatDiagnostics([...config.errors, ...ts.getPreEmitDiagnostics(program)], host);
  }

  /** A folder of `root` holding `samples` (from the fixtures) and a tsconfig.json for one module mode. */
  function sampleProject(root: string, [folder, type, module, moduleResolution]: [string, string, string, string], samples: string[]): string {
    const dir = join(root, folder);
    mkdirSync(dir);
    for (const file of samples) copyFileSync(join(FIXTURES, file), join(dir, file));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type }));
    const compilerOptions = { module, moduleResolution, target: "ES2022", lib: ["ES2022", "DOM"], types: ["node"], strict: true, noEmit: true };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: samples }));
    return dir;
  }

  test("the application's project has no @types/ws (the engine's declarations must not need it)", () => {
    expect(existsSync(join(project, "node_modules/ws"))).toBe(true);
    expect(existsSync(join(project, "node_modules/@types/ws"))).toBe(false);
  });

  test.each(MODES)("the typed samples compile under %s, with skipLibCheck true and false", (...mode) => {
    const dir = sampleProject(project, mode, ["events.ts", "server.ts", "client.ts", "tools.ts"]);
    expect(compile(dir, true)).toBe("");
    expect(compile(dir, false)).toBe("");
  }, 90000);

  // skipLibCheck false alone: turning it on can only take errors away.
  test.each(MODES)("the CLI's declarations compile under %s with skipLibCheck false", (...mode) => {
    const dir = sampleProject(cliProject, mode, ["doctor.ts"]);
    expect(compile(dir, false)).toBe("");
  }, 60000);

  test("the CLI's bin runs", async () => {
    const result = await run(join(cliProject, "node_modules/.bin/duplex"), ["--help"], { cwd: cliProject, env: userEnv() });
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining("duplex doctor") });
  });

  describe("in Chromium", () => {
    let browser: Browser | null = null;

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60000);

    afterAll(async () => {
      await browser?.close();
    });

    test("a page bundled by esbuild from the installed client gets the server's ack", async () => {
      const page = await browser!.context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => (window as { outcome?: unknown }).outcome !== undefined, undefined, { timeout: 10000 });
      const outcome = await page.evaluate(() => (window as { outcome?: unknown }).outcome);
      expect(outcome).toEqual({ greeting: "hello chromium, from a CommonJS server" });
      await page.close();
    });
  });
});
