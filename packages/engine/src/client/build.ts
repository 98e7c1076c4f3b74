/**
 * Whether this build writes its error messages out in full: true in Node and
 * in any other bundler, false in Duplex's browser bundles, whose build
 * (scripts/bundle.mjs) defines `globalThis.__DUPLEX_TERSE__` as true. There
 * the minifier keeps only the short side of each `FULL_MESSAGES ? long : short`
 * (or `FULL_MESSAGES && long`, where the code alone is the message) and drops
 * what only the long side uses. Codes and error fields are the same in both.
 *
 * The one place in this package that reads the build's choice.
 */
export const FULL_MESSAGES = !globalThis.__DUPLEX_TERSE__;

declare global {
  // eslint-disable-next-line no-var
  var __DUPLEX_TERSE__: true | undefined;
}
