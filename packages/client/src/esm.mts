/**
 * The ES module entry for Node and bundlers (`import io, { Manager } from
 * "@duplex/client"`): the default export is the callable `io`, as
 * socket.io-client's is. The named exports are re-exported from the CommonJS
 * build (Node finds them by static analysis), so each class is both a value
 * and a type here: `Socket<ServerToClient, ClientToServer>` is usable as a
 * type, and `instanceof Socket` sees the same class that `require()` returns.
 */
import api from "./cjs.js";

export default api;
export { io, connect, Manager, Socket, SocketSender, Backoff, protocol } from "./index.js";
export type * from "./index.js";
