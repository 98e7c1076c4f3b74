import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

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
