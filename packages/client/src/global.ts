/**
 * The IIFE bundle's entry (duplex.min.js): a plain script that sets the global
 * `duplex` itself. esbuild's `globalName` would add its ES-module export
 * helpers (~190 bytes min) to do the same. It also sets the global `io`, as
 * socket.io.min.js does, so that the file a Duplex server serves at
 * `/socket.io/socket.io.js` is a drop-in for `<script>` then `io()`.
 */
import { io, Manager, Socket } from "./browser";

(globalThis as { duplex?: object }).duplex = { io, connect: io, Manager, Socket };
(globalThis as { io?: typeof io }).io = io;
