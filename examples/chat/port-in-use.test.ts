// A taken port gives one clear line and exit code 1, from the chat and echo
// servers themselves and from the root `npm start` (which checks before its
// install and build), instead of an unhandled 'error' stack trace.
import { spawn } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";

const root = join(__dirname, "../..");
let occupier: Server;
let port: number;

beforeAll(async () => {
  // Bound as the chat binds (no host: every address), so the clash is real.
  occupier = createServer();
  await new Promise<void>((resolve) => occupier.listen(0, resolve));
  port = (occupier.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => occupier.close(() => resolve()));
});

function run(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.HOST;
    const child = spawn(process.execPath, [join(root, script)], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("examples/chat/server.js on a taken port: one line naming the port and PORT=, exit 1", async () => {
  const { code, stdout, stderr } = await run("examples/chat/server.js");
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toBe(`port ${port} is in use: start on another one with PORT=${port + 1} npm start\n`);
});

test("examples/echo/server.js on a taken port: the same line, exit 1", async () => {
  const { code, stdout, stderr } = await run("examples/echo/server.js");
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toBe(`port ${port} is in use: start on another one with PORT=${port + 1} npm start\n`);
});

test("npm start (scripts/start.js) on a taken port: the same line before installing or building", async () => {
  const { code, stdout, stderr } = await run("scripts/start.js");
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toBe(`port ${port} is in use: start on another one with PORT=${port + 1} npm start\n`);
});
