import { execFile } from "node:child_process";
import { join } from "node:path";

// Runs the demonstration as a user would (`node demo.js`) and checks that each
// of the four conversations ended the way the docs say it does.
test("the demonstration prints the four annotated traces", async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [join(__dirname, "demo.js")], { timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  // 1. plain with plain: an echo
  expect(output).toMatch(/HTTP 101 Switching Protocols/);
  expect(output).toMatch(/<- echo: hello/);
  // 2. the Duplex client against the plain server: a coded error, not a timeout
  expect(output).toMatch(/connect_error, code NOT_ENGINE_IO/);
  // 3. a silent plain WebSocket gets the open packet and pings, then is dropped
  expect(output).toMatch(/<- 0\{"sid":"[\w-]{20}","upgrades":\[\],"pingInterval":300/);
  expect(output).toMatch(/<- 2 +Engine\.IO ping/);
  expect(output).toMatch(/closed by the server .*connectTimeout/);
  // 4. by hand: 40, an event with an ack, the ack back
  expect(output).toMatch(/-> 40 /);
  expect(output).toMatch(/<- 40\{"sid":"[\w-]{20}"\}/);
  expect(output).toMatch(/<- 431\["hi ada"\]/);
}, 30000);
