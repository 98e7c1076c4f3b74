import { judgeHttp, quote, type Answer } from "./answer";
import { Agents, request, type HttpOutcome } from "./http";
import { isUnreachable } from "./network";
import type { Finding, Report } from "./report";
import { atPath, DEFAULT_PATH, engineUrl, FALLBACK_PATH, parseTarget, type PathSource, type Target } from "./target";
import { verdict } from "./verdict";
import { closeSocket, probeUpgrade, probeWebSocket, type WsOutcome } from "./websocket";

export interface DoctorOptions {
  /**
   * The engine path, taken at its word. Without it: the URL's own path, then
   * "/socket.io/" if that finds nothing Engine.IO-like; or, for a URL without
   * a path, "/socket.io/", then "/engine.io/".
   */
  path?: string;
  /** Milliseconds each request may take. Default 5000. */
  timeout?: number;
  /** How many noop POSTs time the polling round trip. Default 3. */
  samples?: number;
}

/** What the probes of one path saw, before any judgement (verdict.ts judges). */
export interface Observations {
  target: Target;
  timeout: number;
  /** GET …?EIO=4&transport=polling. */
  polling: HttpOutcome;
  pollAnswer?: Answer;
  /** GET …?EIO=3&transport=polling, asked only when EIO=4 was refused as an unsupported version. */
  v3Answer?: Answer;
  /** WebSocket …?EIO=4&transport=websocket (a session of its own). */
  websocket: WsOutcome;
  /** Noop POSTs on the polling session: the times of those answered `ok`, and why one failed. */
  posts: { samples: number[]; failure?: string };
  /** The upgrade probe of the polling session, or why it was not tried. */
  upgrade: WsOutcome | { kind: "skipped"; why: string };
  sessionsClosed: number;
  /** Sessions whose close packet was not acknowledged. */
  notClosed: string[];
}

/**
 * Probes an endpoint and says what is there and what works.
 *
 * @example
 * const report = await doctor("http://localhost:3000", { timeout: 2000 });
 * console.log(report.summary, report.exitCode);
 */
export async function doctor(url: string, opts: DoctorOptions = {}): Promise<Report> {
  const { target, pathSource } = parseTarget(url, opts.path);
  const timeout = opts.timeout ?? 5000;
  const samples = opts.samples ?? 3;
  const agents = new Agents();
  try {
    const seen = await observe(target, timeout, samples, agents);
    const first = verdict(url, seen);
    const reachable = seen.polling.answer !== undefined || !isUnreachable(seen.polling.failure);
    // The path found an HTTP server (or one that accepts connections and stays silent): the
    // engine may answer at another path. A plain WebSocket server answers on any path.
    const alternative = alternativePath(target.path, pathSource);
    if (alternative === undefined || !reachable || (first.kind !== "http" && first.kind !== "nothing")) return first;
    const other = verdict(url, await observe(atPath(target, alternative), timeout, samples, agents));
    if (!other.kind.startsWith("engine.io")) {
      first.triedPaths.push(alternative);
      first.findings.push({ level: "info", code: "NOT_ENGINE_IO", message: `${alternative} tried too: ${other.summary}.` });
      return first;
    }
    other.triedPaths.unshift(target.path);
    other.findings.unshift(foundElsewhere(target.path, alternative, pathSource, first.summary));
    return other;
  } finally {
    agents.destroy();
  }
}

/**
 * The one other path worth probing when the first finds no engine:
 * - a path from the URL ("http://host:3000/chat") is a namespace to
 *   socket.io-client, whose engine path stays /socket.io/ unless `path` is
 *   given, so the default path is tried;
 * - the default path is followed by a bare Engine.IO server's /engine.io/;
 * - a path given with --path is taken at its word.
 */
function alternativePath(path: string, source: PathSource): string | undefined {
  if (source === "url" && path !== DEFAULT_PATH) return DEFAULT_PATH;
  if (source === "default") return FALLBACK_PATH;
  return undefined;
}

function foundElsewhere(path: string, found: string, source: PathSource, firstSummary: string): Finding {
  if (source === "url") {
    const namespace = path.slice(0, -1);
    return {
      level: "info",
      code: "URL_PATH_IS_NAMESPACE",
      message:
        `Nothing Engine.IO-like at ${path} (${firstSummary}); Engine.IO answers at ${found}. ` +
        `A Socket.IO client given this URL connects to namespace "${namespace}" over path "${found.slice(0, -1)}", the default.`,
    };
  }
  return {
    level: "warning",
    code: "FOUND_AT_OTHER_PATH",
    message: `Nothing Engine.IO-like at ${path} (${firstSummary}); found at ${found}: clients must use path "${found.slice(0, -1)}".`,
  };
}

/** Runs the probes of one path, closing every session it opens. */
async function observe(target: Target, timeout: number, samples: number, agents: Agents): Promise<Observations> {
  // Independent, so together: a server that is down costs one timeout, not two.
  const [polling, ws] = await Promise.all([
    request(engineUrl(target, "polling"), agents, timeout),
    probeWebSocket(engineUrl(target, "websocket"), timeout),
  ]);
  const o: Observations = {
    target,
    timeout,
    polling,
    websocket: ws.outcome,
    posts: { samples: [] },
    upgrade: { kind: "skipped", why: "no polling session to upgrade" },
    sessionsClosed: 0,
    notClosed: [],
  };
  if (ws.socket) {
    await closeSocket(ws.socket, true);
    o.sessionsClosed++;
  }
  if (!polling.answer) return o;
  const a = (o.pollAnswer = judgeHttp(polling.answer.status, polling.answer.contentType, polling.answer.body));
  if (a.kind === "engine-error" && a.code === 5) {
    // "Unsupported protocol version": does it speak v3?
    const r = await request(engineUrl(target, "polling", 3), agents, timeout);
    if (r.answer) o.v3Answer = judgeHttp(r.answer.status, r.answer.contentType, r.answer.body);
    if (o.v3Answer?.kind === "v3-open" && o.v3Answer.handshake) await closeSession(o, agents, 3, o.v3Answer.handshake.sid, "1:1");
  } else if (a.kind === "v3-open" && a.handshake) {
    // A v3 server ignores EIO=4; its payloads stay length-prefixed: close packet "1" is "1:1".
    await closeSession(o, agents, 4, a.handshake.sid, "1:1");
  } else if (a.kind === "v4-open") {
    await session(o, agents, a.handshake.sid, a.handshake.upgrades, samples);
  }
  return o;
}

/** The polling session's own probes: noop POSTs, the upgrade probe, then its close packet. */
async function session(o: Observations, agents: Agents, sid: string, upgrades: string[], samples: number): Promise<void> {
  const url = engineUrl(o.target, "polling", 4, sid);
  for (let i = 0; i < samples && !o.posts.failure; i++) {
    // A noop (packet type 6): the server reads it and does nothing (engine.io-protocol v4, "noop").
    const r = await request(url, agents, o.timeout, "POST", "6");
    if (r.answer?.status === 200 && r.answer.body === "ok") o.posts.samples.push(r.answer.ms);
    else o.posts.failure = postFailure(r);
  }
  let probe: Awaited<ReturnType<typeof probeUpgrade>> | undefined;
  if (!upgrades.includes("websocket")) {
    o.upgrade = { kind: "skipped", why: `the server offers no upgrade (upgrades: ${JSON.stringify(upgrades)})` };
  } else if (o.websocket.kind !== "ok") {
    o.upgrade = { kind: "skipped", why: "WebSocket fails on its own" };
  } else {
    probe = await probeUpgrade(engineUrl(o.target, "websocket", 4, sid), o.timeout);
    o.upgrade = probe.outcome;
  }
  // Closing the session over polling also ends the probing WebSocket on the server's side.
  await closeSession(o, agents, 4, sid, "1");
  if (probe?.socket) await closeSocket(probe.socket, false);
}

/** POSTs a close packet; a session that does not acknowledge it is reported. */
async function closeSession(o: Observations, agents: Agents, eio: 3 | 4, sid: string, packet: string): Promise<void> {
  const r = await request(engineUrl(o.target, "polling", eio, sid), agents, o.timeout, "POST", packet);
  if (r.answer?.status === 200) o.sessionsClosed++;
  else o.notClosed.push(`session ${sid}: the close packet got ${r.answer ? `HTTP ${r.answer.status} ${quote(r.answer.body)}` : r.failure.message}`);
}

function postFailure(r: HttpOutcome): string {
  if (!r.answer) return `a POST on the session failed: ${r.failure.message}`;
  const a = judgeHttp(r.answer.status, r.answer.contentType, r.answer.body);
  if (a.kind === "engine-error" && a.code === 1) {
    return `a POST on the session got HTTP ${r.answer.status} "Session ID unknown": it reached a server that does not know the session (several server processes behind a load balancer without sticky sessions?)`;
  }
  return `a POST on the session got HTTP ${r.answer.status} ${quote(r.answer.body)} instead of "ok"`;
}
