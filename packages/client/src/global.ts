/**
 * The IIFE bundle's entry (duplex.min.js): a plain script that sets the global
 * `duplex` itself. esbuild's `globalName` would add its ES-module export
 * helpers (~190 bytes min) to do the same.
 */
import { io, Manager, Socket } from "./browser";

(globalThis as { duplex?: object }).duplex = { io, connect: io, Manager, Socket };
