/**
 * The IIFE bundles' entry (duplex.min.js, and duplex.js, its development
 * build): a plain script that sets the global `duplex` itself, where
 * esbuild's `globalName` would add its ES-module export helpers to do the
 * same. It also sets the global `io`, as socket.io.min.js does, so that the
 * file a Duplex server serves at `/socket.io/socket.io.js` is a drop-in for
 * `<script>` then `io()`.
 */
import { io, Manager, Socket } from "./browser";

(globalThis as { duplex?: object }).duplex = { io, connect: io, Manager, Socket };
(globalThis as { io?: typeof io }).io = io;

// Marks this file as an ES module for esbuild: the package's "type" is
// "commonjs", and an entry without any export would be read as CommonJS,
// which wraps every bundled module in a lazy initialiser.
export {};
