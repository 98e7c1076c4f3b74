// The decision of scripts/system-deps.js, which `npm test` runs first: with
// programs missing, root with apt-get installs them, anyone else gets one
// message naming what is missing and the install command. Programs are fake
// executables in a temp dir and `run` records the commands: nothing is
// installed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { decide, main, REQUIRED, searchDirs } from "./system-deps";

let dir: string;

function fakeProgram(name: string): void {
  const file = join(dir, name);
  writeFileSync(file, "#!/bin/sh\nexit 0\n");
  chmodSync(file, 0o755);
}

interface Recorder {
  commands: string[];
  out: string[];
  err: string[];
  run: (command: string, args: string[]) => number;
  log: (line: string) => void;
  logError: (line: string) => void;
}

/** Records commands; `onRun` plays what apt-get would do. */
function recorder(onRun: (command: string, args: string[]) => number = () => 0): Recorder {
  const rec: Recorder = {
    commands: [],
    out: [],
    err: [],
    run: (command, args) => {
      rec.commands.push([command, ...args].join(" "));
      return onRun(command, args);
    },
    log: (line) => rec.out.push(line),
    logError: (line) => rec.err.push(line),
  };
  return rec;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "duplex-system-deps-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("all programs present: nothing is run or printed, exit 0", () => {
  for (const { program } of REQUIRED) fakeProgram(program);
  const rec = recorder();
  expect(main({ dirs: [dir], isRoot: true, ...rec })).toBe(0);
  expect(rec.commands).toEqual([]);
  expect([...rec.out, ...rec.err]).toEqual([]);
});

test("missing programs as root with apt-get: installs exactly the missing packages, then exit 0", () => {
  fakeProgram("redis-server");
  fakeProgram("apt-get");
  // The fake apt-get "installs" by creating the programs, as the real one would.
  const rec = recorder((_command, args) => {
    if (args[0] === "install") for (const name of args.filter((arg) => !arg.startsWith("-")).slice(1)) fakeProgram(name);
    return 0;
  });
  expect(main({ dirs: [dir], isRoot: true, ...rec })).toBe(0);
  expect(rec.commands).toEqual(["apt-get update -qq", "apt-get install -y -qq chromium nginx"]);
  expect(rec.out).toHaveLength(1);
  expect(rec.out[0]).toContain("installing");
  expect(rec.err).toEqual([]);
});

test("missing programs as root when apt-get fails: one message and a non-zero exit", () => {
  fakeProgram("apt-get");
  const rec = recorder((_command, args) => (args[0] === "install" ? 100 : 0));
  expect(main({ dirs: [dir], isRoot: true, ...rec })).toBe(1);
  expect(rec.err).toHaveLength(1);
  expect(rec.err[0]).toMatch(/could not install chromium, nginx, redis-server/);
});

test("missing programs, not root: installs nothing, one message with the missing names and the command", () => {
  fakeProgram("apt-get");
  fakeProgram("chromium");
  const rec = recorder();
  expect(main({ dirs: [dir], isRoot: false, ...rec })).toBe(1);
  expect(rec.commands).toEqual([]);
  expect(rec.err).toEqual([
    "npm test needs system programs that are missing: nginx, redis-server. The tests start them for real; " +
      "install them with: sudo apt-get update && sudo apt-get install -y nginx redis-server",
  ]);
});

test("missing programs as root without apt-get: explains instead of running anything", () => {
  const rec = recorder();
  expect(main({ dirs: [dir], isRoot: true, ...rec })).toBe(1);
  expect(rec.commands).toEqual([]);
  expect(rec.err).toHaveLength(1);
  expect(rec.err[0]).toContain("missing: chromium, nginx, redis-server");
  expect(rec.err[0]).toContain("package manager");
});

test("decide() is the whole policy", () => {
  const nginx = REQUIRED.filter((entry) => entry.program === "nginx");
  expect(decide({ missing: [], isRoot: false, hasAptGet: false })).toEqual({ action: "none" });
  expect(decide({ missing: nginx, isRoot: true, hasAptGet: true })).toEqual({ action: "install", packages: ["nginx"] });
  expect(decide({ missing: nginx, isRoot: false, hasAptGet: true }).action).toBe("explain");
});

test("the sbin directories are searched even when PATH lacks them (nginx lives in /usr/sbin)", () => {
  expect(searchDirs("/usr/bin:/bin")).toEqual(["/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"]);
  expect(searchDirs(undefined)).toContain("/usr/sbin");
});
