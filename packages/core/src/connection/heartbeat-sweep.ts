import type { ServerOptions } from "../server/server-options.js";

/** What the sweep needs of a connection. */
export interface SweptConnection {
  /** Runs whatever phase (connect timeout, ping, pong deadline) is due by `now + early`. */
  _ontick(now: number, early: number): void;
}

/* Bounds of the sweep period: finer than 5 ms buys nothing, coarser than 1 s delays detection visibly. */
const MIN_PERIOD = 5;
const MAX_PERIOD = 1000;

/**
 * One timer for the connect timeouts and heartbeats of every connection of a server. A Timeout
 * and its callback per connection cost ~180 B of heap on each idle connection; one interval that
 * walks the connections costs a field read per connection per period.
 *
 * The period is a tenth of the shortest of `pingInterval`, `pingTimeout` and `connectTimeout`
 * (5 ms to 1 s). Each heartbeat phase runs at the last walk before it is due, never later: pings
 * and deadlines come up to one period (at most 10%) early, so a dead peer is still closed within
 * `pingInterval + pingTimeout`, as with a timer per connection. The connect timeout is never
 * early: it runs at the first walk after it is due.
 */
export class HeartbeatSweep {
  /** Milliseconds between two walks. */
  readonly period: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    options: Pick<ServerOptions, "pingInterval" | "pingTimeout" | "connectTimeout">,
    private readonly connections: ReadonlySet<SweptConnection>,
  ) {
    const shortest = Math.min(options.pingInterval, options.pingTimeout, options.connectTimeout);
    this.period = Math.min(MAX_PERIOD, Math.max(MIN_PERIOD, Math.floor(shortest / 10)));
  }

  /** Starts walking (if not already): called whenever a connection is added. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(this.walk, this.period);
    // Connections keep the process alive through their sockets, not through their heartbeat.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly walk = (): void => {
    if (this.connections.size === 0) {
      this.stop();
      return;
    }
    const now = Math.floor(performance.now());
    // A connection closed by its tick leaves the set during the walk, which Set iteration allows.
    for (const conn of this.connections) conn._ontick(now, this.period);
  };
}
