import { execFile } from "node:child_process";
import { join } from "node:path";

// The built package as applications load it (after `npm run build`): callable
// from require() and as the default import, with named exports both ways, as
// socket.io-client is.
function node(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { cwd: join(__dirname, ".."), timeout: 10000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

test("require('@duplex/client') is the io function, with the named exports on it", async () => {
  const out = await node(["-e", 'const io = require("@duplex/client"); console.log([typeof io, typeof io.io, typeof io.connect, typeof io.Manager, typeof io.Socket].join())']);
  expect(out).toBe("function,function,function,function,function");
});

test("import io, { io, Manager } from '@duplex/client' work in an ES module", async () => {
  const out = await node([
    "--input-type=module",
    "-e",
    'import io, { io as named, Manager, Socket } from "@duplex/client"; console.log([typeof io, io === named, typeof Manager, typeof Socket].join())',
  ]);
  expect(out).toBe("function,true,function,function");
});
