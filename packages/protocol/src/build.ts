/**
 * What this build of the package carries: the one place in the package that
 * reads the build's choices. Node and any other bundler get everything; Duplex's
 * browser bundles of the client (scripts/bundle.mjs) define the globals below
 * as true, and the minifier drops the code that only the other side uses.
 */

/**
 * Whether error messages are written out in full: false where
 * `globalThis.__DUPLEX_TERSE__` is true. There the minifier keeps only the
 * short side of each `FULL_MESSAGES ? long : short` (or `FULL_MESSAGES && long`,
 * where the code alone is the message) and drops what only the long side
 * uses. Codes and error fields are the same in both.
 */
export const FULL_MESSAGES = !globalThis.__DUPLEX_TERSE__;

/**
 * Whether the codec carries the guards a server needs: the decoder's JSON
 * depth limit (`maxDepth`), against peers that nest a payload deep enough to
 * overflow the stack of the code that walks it; the check of the decoder's
 * options, which a server's configuration sets; and the encoder's check of
 * each packet's type, namespace and ack id, which catches packets that
 * application code built or that an adapter relayed from another server.
 *
 * False where `globalThis.__DUPLEX_CLIENT_BUNDLE__` is true: in Duplex's
 * browser bundles the codec's one user is the client, which decodes what the
 * server the page chose sends, with options it fixes, and encodes only the
 * packets it builds (its own types and ack ids, the namespace the page
 * named). There they behave as socket.io-client's do: no depth limit, the
 * namespace sent as given. Every other rule of the decoder holds in both.
 */
export const SERVER_GUARDS = !globalThis.__DUPLEX_CLIENT_BUNDLE__;

declare global {
  // eslint-disable-next-line no-var
  var __DUPLEX_TERSE__: true | undefined;
  // eslint-disable-next-line no-var
  var __DUPLEX_CLIENT_BUNDLE__: true | undefined;
}
