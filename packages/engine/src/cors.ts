import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "cors";
import type { EngineMiddleware } from "./middleware";
import type { ResolvedOptions } from "./options";

export type Headers = Record<string, string | string[]>;

/**
 * The engine's CORS: the `cors` package as an engine middleware, first in
 * line, as engine.io 6 does (`this.use(require("cors")(opts.cors))`). It sets
 * its headers on the response (every answer of the engine carries them, the
 * WebSocket 101 too) and answers preflights itself unless
 * `preflightContinue`.
 */
export function corsMiddleware(options: NonNullable<ResolvedOptions["cors"]>): EngineMiddleware {
  const handler = cors<IncomingMessage>(options);
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => handler(req, res, next);
}
