import { connect, createServer, type AddressInfo } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. For programs that must
 * be told their port up front (nginx); Node servers should listen on 0.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once 127.0.0.1:`port` accepts a connection (programs such as nginx
 * and redis-server have no ready signal); rejects after `ms`, or as soon as
 * `gone()` says the program exited.
 */
export async function accepting(port: number, ms = 10_000, gone: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (gone()) throw new Error(`the program meant to listen on ${port} exited`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
