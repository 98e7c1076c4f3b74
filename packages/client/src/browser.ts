/** The browser bundles' entry: `duplex.io`, `duplex.Manager`, `duplex.Socket`. */
export { io, io as connect, Manager, Socket } from "./index";
