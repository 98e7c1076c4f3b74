import type { Headers } from "./cors";

// Header objects the engine and its listeners edit before a response is written.

/** Adds a value to a header, whatever the case its name was set with (a middleware's session cookie and the sid cookie both go out). */
export function appendHeader(headers: Headers, name: string, value: string): void {
  const lower = name.toLowerCase();
  const existing = Object.keys(headers).find((key) => key.toLowerCase() === lower);
  if (existing === undefined) {
    headers[name] = [value];
    return;
  }
  const current = headers[existing];
  headers[existing] = [...(Array.isArray(current) ? current : [current]), value];
}

/**
 * Header names are case-insensitive: when a "headers" listener set a header
 * under another case than the engine did (`headers["set-cookie"] = …`), the
 * value set last replaces the other rather than both being written.
 */
export function keepLastOfEachName(headers: Headers): void {
  const seen = new Map<string, string>();
  for (const key of Object.keys(headers)) {
    const lower = key.toLowerCase();
    const previous = seen.get(lower);
    if (previous !== undefined) delete headers[previous];
    seen.set(lower, key);
  }
}
