/**
 * The ES module entry for Node (`import io, { Manager } from "@duplex/client"`):
 * the default export is the callable `io`, as socket.io-client's is.
 */
import api from "./cjs.js";

export default api;
export const { io, connect, Manager, Socket, SocketSender, Backoff, protocol } = api;
export type * from "./index.js";
