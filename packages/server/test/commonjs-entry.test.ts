import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { io as ioc } from "socket.io-client";
import { Server } from "@duplex/server";
import { once } from "./helpers";

const run = promisify(execFile);
const distEntry = join(__dirname, "..", "dist", "index.js");

describe("the CommonJS module is callable, like require(\"socket.io\")", () => {
  it("require(\"@duplex/server\")(httpServer) returns a Server that serves clients", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const duplex = require("@duplex/server") as ((srv: unknown, opts?: object) => Server) & { Server: typeof Server };
    expect(typeof duplex).toBe("function");
    expect(duplex.Server).toBe(Server);
    const http = createServer();
    const io = duplex(http, { pingInterval: 300 });
    expect(io).toBeInstanceOf(Server);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    io.on("connection", (socket) => socket.on("hi", (ack: (v: string) => void) => ack("hello")));
    const client = ioc(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { forceNew: true, reconnection: false });
    await once(client, "connect");
    await expect(client.timeout(5000).emitWithAck("hi")).resolves.toBe("hello");
    client.disconnect();
    await io.close();
  });

  it("the built package: CommonJS call and named exports, ESM named and default imports", async () => {
    const cjs = `
      const duplex = require(${JSON.stringify(distEntry)});
      const io = duplex(0);
      const out = [typeof duplex, io instanceof duplex.Server, typeof duplex.Namespace, typeof duplex.Adapter, "__esModule" in duplex];
      io.close().then(() => console.log(JSON.stringify(out)));`;
    const { stdout: cjsOut } = await run(process.execPath, ["-e", cjs]);
    expect(JSON.parse(cjsOut)).toEqual(["function", true, "function", "function", false]);

    const esm = `
      import duplex, { Server, Namespace, BroadcastOperator } from ${JSON.stringify(distEntry)};
      const io = duplex({ serveClient: false });
      console.log(JSON.stringify([io instanceof Server, typeof Namespace, typeof BroadcastOperator]));`;
    const { stdout: esmOut } = await run(process.execPath, ["--input-type=module", "-e", esm]);
    expect(JSON.parse(esmOut)).toEqual([true, "function", "function"]);
  });
});
