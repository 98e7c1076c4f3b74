/**
 * Whether this build writes its error messages out in full: true in Node and
 * in any other bundler, false in Duplex's browser bundles, whose build
 * (scripts/bundle.mjs) defines `globalThis.__DUPLEX_TERSE__` as true. There
 * the minifier keeps only the short side of each `FULL_MESSAGES ? long : short`
 * (or `FULL_MESSAGES && long`, where the code alone is the message) and drops
 * what only the long side uses. Codes and error fields are the same in both.
 *
 * The one place in this package that reads the build's choices.
 */
export const FULL_MESSAGES = !globalThis.__DUPLEX_TERSE__;

/**
 * Whether a WebSocket that fails, or opens without saying which Engine.IO
 * version it speaks, is explained by a polling handshake on the side
 * (diagnose.ts `probe`): "polling works: a proxy blocks WebSocket?", or the
 * Engine.IO v3 server behind an open packet without maxPayload. True in Node,
 * in any other bundler and in the development bundles (duplex.js,
 * duplex.esm.js); false in the production bundles (duplex.min.js,
 * duplex.esm.min.js), whose build defines
 * `globalThis.__DUPLEX_PRODUCTION_BUNDLE__` as true, so that the minifier
 * drops the side request and what only it uses. There a failed WebSocket is
 * reported with its own TRANSPORT_ERROR, and an open packet is taken as it
 * comes. The diagnosis of a transport's own first answer (NOT_ENGINE_IO and
 * the like) is in every build.
 */
export const SIDE_DIAGNOSIS = !globalThis.__DUPLEX_PRODUCTION_BUNDLE__;

declare global {
  // eslint-disable-next-line no-var
  var __DUPLEX_TERSE__: true | undefined;
  // eslint-disable-next-line no-var
  var __DUPLEX_PRODUCTION_BUNDLE__: true | undefined;
}
