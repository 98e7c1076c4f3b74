import type { Report, TransportReport } from "./report";

const RESULT: Record<number, string> = {
  0: "healthy",
  3: "nothing answers",
  4: "not Engine.IO (a plain HTTP server)",
  5: "not Engine.IO (a plain WebSocket server)",
  6: "Engine.IO v3, not v4",
  7: "Engine.IO, but no usable transport (handshake refused, or sessions lost)",
};

const MARK = { info: "i", warning: "!", error: "x" } as const;

/** The report in plain words, for a terminal. */
export function formatReport(r: Report, width = 100): string {
  const out: string[] = [];
  const wrap = (text: string, indent: string, first = indent) => wrapText(text, width, indent, first);
  out.push(`duplex doctor ${r.url}  (path ${r.path}${r.triedPaths.length > 1 ? `; tried ${r.triedPaths.join(", ")}` : ""})`, "");
  out.push(wrap(r.summary, "  "), "");
  out.push("Transports");
  const row = (name: string, t: TransportReport) => wrap(t.detail, " ".repeat(24), `  ${name.padEnd(11)} ${t.status.padEnd(9)} `);
  out.push(row("polling", r.transports.polling), row("websocket", r.transports.websocket), row("upgrade", r.transports.upgrade), "");
  const h = r.handshake;
  if (h) {
    out.push("Handshake");
    out.push(`  sid           ${h.sidLength} characters`);
    out.push(`  upgrades      ${h.upgrades.length ? h.upgrades.join(", ") : "none"}`);
    out.push(`  pingInterval  ${h.pingInterval ?? "?"} ms`);
    out.push(`  pingTimeout   ${h.pingTimeout ?? "?"} ms`);
    out.push(`  maxPayload    ${h.maxPayload === undefined ? "not sent" : h.maxPayload + " bytes"}`);
    if (h.pingInterval !== undefined && h.pingTimeout !== undefined) {
      out.push(wrap(`A vanished client is noticed within pingInterval + pingTimeout = ${(h.pingInterval + h.pingTimeout) / 1000} s.`, "  "));
    }
    out.push("");
  }
  const t = r.timings;
  const timings: [string, number | undefined, string][] = [
    ["polling handshake", t.pollingHandshakeMs, "GET …&transport=polling → open packet, TCP connect included"],
    ["POST round trip", t.postRttMs, `median of ${t.postRttSamplesMs?.length ?? 0} noop POSTs on the kept-alive connection (${t.postRttSamplesMs?.join(", ")})`],
    ["WebSocket handshake", t.websocketHandshakeMs, `request → open packet (101 after ${t.websocketOpenMs} ms)`],
    ["ping round trip", t.probeRttMs, "2probe → 3probe on the upgrade path (Engine.IO ping/pong)"],
  ];
  if (timings.some(([, v]) => v !== undefined)) {
    out.push("Timings");
    for (const [name, v, what] of timings) {
      if (v !== undefined) out.push(wrap(what, " ".repeat(34), `  ${name.padEnd(20)} ${(v + " ms").padEnd(10)} `));
    }
    out.push("");
  }
  if (r.findings.length) {
    out.push("Findings");
    for (const f of r.findings) out.push(wrap(f.message, "    ", `  ${MARK[f.level]} `));
    out.push("");
  }
  if (r.advice.length) {
    out.push("What to do");
    for (const a of r.advice) out.push(wrap(a, "    ", "  - "));
    out.push("");
  }
  out.push(`Sessions opened and closed: ${r.sessionsClosed}`);
  const warned = r.healthy && r.findings.some((f) => f.level === "warning");
  out.push(`Result: ${RESULT[r.exitCode] ?? "?"}${warned ? ", with warnings" : ""} (exit ${r.exitCode})`);
  return out.join("\n") + "\n";
}

/** Words of `text` in lines of at most `width` characters; the first line starts with `first`, the others with `indent`. */
function wrapText(text: string, width: number, indent: string, first: string): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(" ")) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += (empty ? "" : " ") + word;
    empty = false;
  }
  lines.push(line);
  return lines.join("\n");
}
