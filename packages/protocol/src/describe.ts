// Untrusted values described for error messages ("expected …, got …"),
// without calling any of their methods.

import { isBinary } from "./binary";

/** Describes an untrusted value for an error message without calling any of its methods. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(value);
    case "object":
      return isBinary(value) ? "binary data" : "an object";
    default:
      return `a ${typeof value}`;
  }
}
