// True in the browser bundles (scripts/bundle.mjs defines `globalThis.__DUPLEX_TERSE__`),
// undefined everywhere else: see the note on messages in @duplex/protocol's errors.ts.
// eslint-disable-next-line no-var
declare var __DUPLEX_TERSE__: true | undefined;
