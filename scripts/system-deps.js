#!/usr/bin/env node
// Makes sure the system programs that `npm test` starts for real are present:
// chromium (browser tests), nginx (proxy tests) and redis-server (Redis
// adapter tests). Each is looked for on PATH and in the sbin directories,
// which a non-root PATH often lacks although nginx lives there.
//
// When some are missing and this runs as root on a machine with apt-get, it
// installs them (Debian package names). Otherwise it prints what is missing
// and the command to install it, and exits 1, so the test run stops before
// the build instead of failing later in the middle of the suite.
//
//   node scripts/system-deps.js       check, install as root, or explain
"use strict";
const { spawnSync } = require("node:child_process");
const { accessSync, constants, statSync } = require("node:fs");
const { delimiter, join } = require("node:path");

/** Program the tests start → the Debian package that provides it. */
const REQUIRED = [
  { program: "chromium", debianPackage: "chromium" },
  { program: "nginx", debianPackage: "nginx" },
  { program: "redis-server", debianPackage: "redis-server" },
];

const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The directories to look in: PATH's, then the sbin ones it may not list. */
function searchDirs(pathVariable) {
  const fromPath = (pathVariable ?? "").split(delimiter).filter((dir) => dir !== "");
  return [...new Set([...fromPath, ...SBIN_DIRS])];
}

function isExecutableFile(file) {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function findProgram(program, dirs) {
  for (const dir of dirs) {
    const candidate = join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The entries of `required` whose program is in none of `dirs`. */
function findMissing(required, dirs) {
  return required.filter((entry) => findProgram(entry.program, dirs) === undefined);
}

function installCommand(packages, { asRoot }) {
  const list = packages.join(" ");
  if (asRoot) return `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${list}`;
  return `sudo apt-get update && sudo apt-get install -y ${list}`;
}

/**
 * What to do about the missing programs:
 * - `{ action: "none" }` when nothing is missing;
 * - `{ action: "install", packages }` as root with apt-get;
 * - `{ action: "explain", message }` otherwise: what is missing and how to get it.
 */
function decide({ missing, isRoot, hasAptGet }) {
  if (missing.length === 0) return { action: "none" };
  const packages = missing.map((entry) => entry.debianPackage);
  if (isRoot && hasAptGet) return { action: "install", packages };
  const names = missing.map((entry) => entry.program).join(", ");
  const how = hasAptGet
    ? `install them with: ${installCommand(packages, { asRoot: isRoot })}`
    : `install them with your system's package manager (on Debian or Ubuntu: apt-get install -y ${packages.join(" ")})`;
  return {
    action: "explain",
    message: `npm test needs system programs that are missing: ${names}. The tests start them for real; ${how}`,
  };
}

function runCommand(command, args) {
  const result = spawnSync(command, args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return result.status === null ? 1 : result.status;
}

/**
 * Checks, installs or explains; returns the exit code. Everything that
 * touches the machine is a parameter so that the decision can be tested
 * without installing anything.
 */
function main({
  dirs = searchDirs(process.env.PATH),
  isRoot = typeof process.getuid === "function" && process.getuid() === 0,
  run = runCommand,
  log = (line) => console.log(line),
  logError = (line) => console.error(line),
  required = REQUIRED,
} = {}) {
  const missing = findMissing(required, dirs);
  const hasAptGet = findProgram("apt-get", dirs) !== undefined;
  const decision = decide({ missing, isRoot, hasAptGet });
  if (decision.action === "none") return 0;
  if (decision.action === "explain") {
    logError(decision.message);
    return 1;
  }
  log(`installing the system programs the tests start: ${decision.packages.join(" ")} (apt-get, about a minute)`);
  const updated = run("apt-get", ["update", "-qq"]);
  const installed = updated === 0 ? run("apt-get", ["install", "-y", "-qq", ...decision.packages]) : updated;
  const stillMissing = findMissing(required, dirs);
  if (installed !== 0 || stillMissing.length > 0) {
    const names = (stillMissing.length > 0 ? stillMissing : missing).map((entry) => entry.program).join(", ");
    logError(`apt-get could not install ${names} (exit code ${installed}); try: ${installCommand(decision.packages, { asRoot: true })}`);
    return 1;
  }
  return 0;
}

module.exports = { REQUIRED, searchDirs, findMissing, decide, installCommand, main };

if (require.main === module) {
  process.exitCode = main();
}
