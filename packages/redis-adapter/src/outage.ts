// A Redis outage seen from the adapter: reporting its start and its end, and
// deciding when what the pub/sub kept can be sent (pubsub.ts keeps it).
import { MessageType } from "./envelope";
import type { NodeTracker } from "./nodes";
import type { OutageReport, PubSub, RedisUnavailableError } from "./pubsub";
import type { WireMessage } from "./wire";

export interface OutageOptions {
  /** The namespace, for the log lines. */
  nsp: string;
  /** This node's uid (hex). */
  uid: string;
  /** ms to wait for a node that does not come back. */
  heartbeatTimeout: number;
  log: ((line: string) => void) | false;
}

export interface OutageHandler {
  /** Reports the start of an outage (the adapter's "error" event). */
  onStart(err: RedisUnavailableError): void;
}

export class Outage {
  /** The last outage that ended. */
  lastReport: OutageReport | undefined;
  /** After an outage: the nodes not heard from since Redis is reachable again. */
  private notHeard = new Set<string>();
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pubsub: PubSub,
    private readonly nodes: NodeTracker,
    private readonly opts: OutageOptions,
    private readonly handler: OutageHandler,
  ) {}

  started(err: RedisUnavailableError): void {
    clearTimeout(this.resumeTimer);
    this.line(err.message);
    this.handler.onStart(err);
  }

  /**
   * Both connections work again. The kept messages wait until every other
   * node can hear them: a node that announces itself (or answers this node's
   * announcement) publishes only once its own subscription works. A node not
   * heard from within heartbeatTimeout is gone, and waited for no longer.
   */
  reachable(): void {
    clearTimeout(this.resumeTimer);
    this.nodes.touchAll();
    this.notHeard = this.nodes.uids();
    this.pubsub.signal(MessageType.INITIAL_HEARTBEAT, {});
    if (this.notHeard.size === 0) return this.resume();
    this.resumeTimer = setTimeout(() => this.resume(), this.opts.heartbeatTimeout);
    this.resumeTimer.unref();
  }

  /** A message of another node arrived. */
  heard(msg: WireMessage): void {
    if (this.notHeard.size > 0 && this.canHearUs(msg) && this.notHeard.delete(msg.uid) && this.notHeard.size === 0) this.resume();
  }

  ended(report: OutageReport): void {
    this.lastReport = report;
    const seconds = (report.duration / 1000).toFixed(1);
    this.line(`Redis is reachable again after ${seconds} s; ${report.sent} kept message(s) sent, ${report.dropped} dropped (outageBufferSize)`);
  }

  dispose(): void {
    clearTimeout(this.resumeTimer);
  }

  /**
   * Whether `msg` proves that its sender's subscription works now: its
   * announcement (sent once subscribed, or once its own probe came back), or
   * its answer to this node's. Not any message: one the sender's client
   * queued before the outage reaches Redis as soon as it is back, possibly
   * before that sender subscribed again.
   */
  private canHearUs(msg: WireMessage): boolean {
    return msg.type === MessageType.INITIAL_HEARTBEAT || (msg.type === MessageType.HEARTBEAT && msg.header.to === this.opts.uid);
  }

  private resume(): void {
    clearTimeout(this.resumeTimer);
    this.notHeard.clear();
    this.pubsub.resume();
  }

  private line(text: string): void {
    if (this.opts.log !== false) this.opts.log(`[duplex:redis-adapter] namespace "${this.opts.nsp}": ${text}`);
  }
}
