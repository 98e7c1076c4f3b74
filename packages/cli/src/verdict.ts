import { ENGINE_ERRORS, describeAnswer, quote, type Answer } from "./answer";
import type { Observations } from "./doctor";
import { median } from "./stats";
import { ExitCode, type Finding, type Kind, type Report, type TransportReport } from "./report";
import { describeWs } from "./websocket";

const DOCS = "docs/why-not-websocket.md";

/** Judges what one path's probes saw: what is there, what works, what to do. */
export function verdict(url: string, o: Observations): Report {
  const pa = o.pollAnswer;
  const ws = o.websocket;
  const kind = classify(o);
  const v3 = pa?.kind === "v3-open" ? pa : o.v3Answer?.kind === "v3-open" ? o.v3Answer : undefined;
  const handshake = pa?.kind === "v4-open" ? pa.handshake : ws.kind === "ok" ? ws.handshake : v3?.handshake;
  const pollingOk = pa?.kind === "v4-open" && !o.posts.failure;
  const wsOk = ws.kind === "ok";
  const healthy = kind === "engine.io-v4" && (pollingOk || wsOk);
  const findings: Finding[] = [];
  const advice: string[] = [];
  const report: Report = {
    url,
    path: o.target.path,
    triedPaths: [o.target.path],
    kind,
    summary: "",
    healthy,
    exitCode: ExitCode.HEALTHY,
    clientErrorCode: null,
    handshake: handshake ? { ...handshake, sidLength: handshake.sid.length } : null,
    transports: { polling: pollingReport(o), websocket: websocketReport(o), upgrade: upgradeReport(o) },
    timings: {
      pollingHandshakeMs: pa?.kind === "v4-open" ? round(o.polling.answer?.ms) : undefined,
      postRttMs: o.posts.samples.length ? round(median(o.posts.samples)) : undefined,
      postRttSamplesMs: o.posts.samples.length ? o.posts.samples.map((s) => round(s)!) : undefined,
      websocketOpenMs: wsOk ? round(ws.openMs) : undefined,
      websocketHandshakeMs: wsOk ? round(ws.frameMs) : undefined,
      probeRttMs: o.upgrade.kind === "ok" ? round(o.upgrade.frameMs) : undefined,
    },
    findings,
    advice,
    sessionsClosed: o.sessionsClosed,
  };
  const pa0 = o.polling.answer;
  const pollWhat = pa0 && pa ? describeAnswer(pa, pa0.status, pa0.contentType, pa0.body) : o.polling.failure!.message;
  switch (kind) {
    case "nothing":
      report.summary = `nothing answers: ${pollWhat}`;
      report.exitCode = ExitCode.NOTHING;
      report.clientErrorCode = "TRANSPORT_ERROR";
      findings.push({ level: "error", code: "NOTHING_LISTENING", message: `Nothing answers at ${o.target.path}: ${pollWhat}.` });
      advice.push("Check that the server runs and listens on that host and port, that the host name resolves, and that no firewall drops the connection.");
      break;
    case "http":
      report.summary = `a plain HTTP server, not Engine.IO: ${pollWhat}`;
      report.exitCode = ExitCode.HTTP;
      report.clientErrorCode = "NOT_ENGINE_IO";
      findings.push({ level: "error", code: "NOT_ENGINE_IO", message: `The polling handshake answered ${pollWhat}; an Engine.IO server answers 0{"sid":…}.` });
      if (!wsOk) findings.push({ level: "info", code: "NOT_ENGINE_IO", message: `The WebSocket handshake: ${describeWs(ws)}.` });
      advice.push(`Check host, port and path: Socket.IO serves on /socket.io/, a bare Engine.IO server on /engine.io/ (--path). See ${DOCS}.`);
      break;
    case "websocket":
      report.summary = `a plain WebSocket server, not Engine.IO: ${describeWs(ws)}`;
      report.exitCode = ExitCode.WEBSOCKET;
      report.clientErrorCode = "NOT_ENGINE_IO";
      findings.push({ level: "error", code: "PLAIN_WEBSOCKET", message: `The WebSocket handshake: ${describeWs(ws)}; an Engine.IO server sends 0{"sid":…} first.` });
      findings.push({ level: "info", code: "NOT_ENGINE_IO", message: `The polling handshake answered ${pollWhat}.` });
      advice.push(`Talk to a plain WebSocket server with WebSocket (browsers) or ws (Node), not a Socket.IO client; if a Socket.IO server should answer here, check the port and path. See ${DOCS}.`);
      break;
    case "engine.io-v3":
      report.summary = "Engine.IO v3: a Socket.IO 2.x server (engine.io 3), which Socket.IO 3/4 and Duplex clients cannot talk to";
      report.exitCode = ExitCode.ENGINE_IO_V3;
      report.clientErrorCode = "UNSUPPORTED_PROTOCOL_VERSION";
      findings.push({
        level: "error",
        code: "ENGINE_IO_V3",
        message: pa?.kind === "v3-open"
          ? `The polling handshake answered a length-prefixed payload ${quote(o.polling.answer!.body)}: Engine.IO v3.`
          : "EIO=4 was refused as an unsupported protocol version, and EIO=3 accepted: Engine.IO v3.",
      });
      advice.push("Upgrade the server to Socket.IO 3/4 or Duplex (or use a Socket.IO 2.x client).");
      break;
    case "engine.io-refused": {
      const e = (pa?.kind === "engine-error" ? pa : ws.kind === "http" ? ws.answer : pa) as Extract<Answer, { kind: "engine-error" }>;
      report.summary = `an Engine.IO server that refuses the handshake: ${pollWhat}`;
      report.exitCode = ExitCode.UNUSABLE;
      report.clientErrorCode = e.code === 5 ? "UNSUPPORTED_PROTOCOL_VERSION" : "HANDSHAKE_ERROR";
      findings.push({ level: "error", code: "HANDSHAKE_REFUSED", message: `The server refused the handshake with its error ${e.code} (${ENGINE_ERRORS[e.code] ?? "unknown"}): "${e.message}".` });
      advice.push("Engine.IO answered but refused this client: check allowRequest / middleware (credentials, origin, query parameters) and the server's transports option.");
      break;
    }
    case "engine.io-v4":
      report.summary = "Engine.IO v4: a Socket.IO 3/4, Duplex or engine.io 4+ server";
      v4Findings(o, report);
      if (!healthy) {
        report.exitCode = ExitCode.UNUSABLE;
        report.clientErrorCode = "TRANSPORT_ERROR";
      }
      break;
  }
  for (const n of o.notClosed) findings.push({ level: "warning", code: "SESSION_NOT_CLOSED", message: n });
  return report;
}

function classify(o: Observations): Kind {
  const pa = o.pollAnswer;
  const ws = o.websocket;
  if (pa?.kind === "v3-open" || o.v3Answer?.kind === "v3-open") return "engine.io-v3";
  if (pa?.kind === "v4-open" || ws.kind === "ok") return "engine.io-v4";
  if (pa?.kind === "engine-error" || (ws.kind === "http" && ws.answer.kind === "engine-error")) return "engine.io-refused";
  // 101 Switching Protocols, then no open packet: a WebSocket server of another kind.
  if (ws.kind === "unexpected-frame" || ws.kind === "silent" || ws.kind === "closed-early") return "websocket";
  if (pa || ws.kind === "http") return "http";
  return "nothing";
}

/** Warnings for an Engine.IO v4 endpoint: what does not work along this path, and why. */
function v4Findings(o: Observations, report: Report): void {
  const { findings, advice } = report;
  const hs = report.handshake;
  const pa = o.pollAnswer;
  const ws = o.websocket;
  const pollingOk = report.transports.polling.status === "ok";
  if (!pollingOk) {
    findings.push({
      level: report.healthy ? "warning" : "error",
      code: "POLLING_FAILED",
      message: `Long-polling does not work along this path: ${report.transports.polling.detail}.${report.healthy ? " Clients must be configured with transports: [\"websocket\"]." : ""}`,
    });
    if (pa?.kind === "v4-open") advice.push("Several server processes need sticky sessions (docs/scaling.md), or clients restricted to WebSocket.");
  }
  if (ws.kind !== "ok") {
    const offered = hs?.upgrades.includes("websocket");
    if (pa?.kind === "v4-open" && !offered) {
      findings.push({
        level: "warning",
        code: "WEBSOCKET_NOT_OFFERED",
        message: `WebSocket does not work along this path (${describeWs(ws)}), and the server does not offer it (upgrades: ${JSON.stringify(hs!.upgrades)}): it is configured for long-polling only (transports: ["polling"]). Clients stay on long-polling.`,
      });
    } else {
      findings.push({
        level: pollingOk ? "warning" : "error",
        code: "WEBSOCKET_BLOCKED",
        message: `WebSocket does not work along this path: ${describeWs(ws)}.${pollingOk ? " Polling works, so a proxy between here and the server probably blocks WebSocket; clients stay on long-polling." : ""}`,
      });
      if (pollingOk) advice.push('Let the proxy forward WebSocket: it must pass the Upgrade and Connection headers (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"). See docs/scaling.md.');
    }
  }
  const up = o.upgrade;
  if (up.kind !== "ok" && up.kind !== "skipped") {
    findings.push({
      level: "warning",
      code: "UPGRADE_FAILED",
      message: `A fresh WebSocket works, but upgrading the polling session does not: ${describeWs(up)}. Clients stay on long-polling (with several server processes: the WebSocket reached another one?).`,
    });
  }
  if (hs && hs.maxPayload === undefined) {
    findings.push({ level: "info", code: "NO_MAX_PAYLOAD", message: "The open packet has no maxPayload: engine.io older than 6.1 (clients cannot size their POSTs to the server's limit)." });
  }
}

function pollingReport(o: Observations): TransportReport {
  const a = o.polling.answer;
  if (!a) return { status: "failed", detail: `GET handshake: ${o.polling.failure.message}` };
  const pa = o.pollAnswer!;
  if (pa.kind === "v4-open") {
    const posts = o.posts.samples.length;
    return o.posts.failure
      ? { status: "failed", httpStatus: a.status, detail: `GET handshake HTTP 200 in ${ms(a.ms)}, but ${o.posts.failure}` }
      : { status: "ok", httpStatus: a.status, detail: `GET handshake HTTP 200 in ${ms(a.ms)}; ${posts} noop POST${posts === 1 ? "" : "s"} answered "ok"` };
  }
  return { status: "failed", httpStatus: a.status, detail: `GET handshake answered ${describeAnswer(pa, a.status, a.contentType, a.body)}` };
}

function websocketReport(o: Observations): TransportReport {
  const w = o.websocket;
  if (w.kind === "ok") return { status: "ok", httpStatus: 101, detail: `HTTP 101 in ${ms(w.openMs)}, open packet in ${ms(w.frameMs)}` };
  return { status: "failed", httpStatus: w.kind === "http" ? w.status : w.kind === "failure" ? undefined : 101, detail: describeWs(w) };
}

function upgradeReport(o: Observations): TransportReport {
  const u = o.upgrade;
  if (u.kind === "skipped") return { status: "skipped", detail: u.why };
  if (u.kind === "ok") return { status: "ok", httpStatus: 101, detail: `2probe → 3probe in ${ms(u.frameMs)}` };
  return { status: "failed", httpStatus: u.kind === "http" ? u.status : u.kind === "failure" ? undefined : 101, detail: describeWs(u) };
}

function round(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 10) / 10;
}

/** "3.2 ms". */
export function ms(n: number): string {
  return `${round(n)} ms`;
}
