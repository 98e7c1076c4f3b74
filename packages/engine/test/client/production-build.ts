/**
 * Imported first by a test, before the engine client: builds the client as
 * the production browser bundles do (scripts/bundle.mjs defines this), since
 * src/client/build.ts reads the define when the module loads.
 */
(globalThis as { __DUPLEX_PRODUCTION_BUNDLE__?: boolean }).__DUPLEX_PRODUCTION_BUNDLE__ = true;
