import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { PollingFetch } from "./platform";

/**
 * A polling request for `autoUnref` clients: node:http instead of fetch,
 * whose pending long-poll would keep the process alive (fetch has no
 * unref). The socket is unref'd for each request, as engine.io-client's
 * XMLHttpRequest does with `autoUnref`. Only what PollingTransport uses:
 * method, body, headers, signal; the answer's status and text.
 */
export const unrefFetch: PollingFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    // As fetch sends a string body (engine.io-protocol v4 polling payloads are text).
    if (init.body !== undefined && init.body !== null) headers["content-type"] ??= "text/plain;charset=UTF-8";
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method, headers, signal: init.signal ?? undefined }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, text: () => Promise.resolve(text) });
      });
    });
    req.on("socket", (socket) => socket.unref());
    req.on("error", reject);
    req.end(init.body as string | undefined);
  });
