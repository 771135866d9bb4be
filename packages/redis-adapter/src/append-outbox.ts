/** How much an {@link AppendOutbox} keeps while Redis does not take its appends. */
export interface OutboxLimits {
  /** Events waiting at most (the namespace's `maxPackets`). */
  maxItems: number;
  /** Bytes of encoded events waiting at most. */
  maxBytes: number;
}

/* no room channel: the gap marker goes out on the namespace channel, to every node */
const NAMESPACE: readonly string[] = [];

/* states of a queued append */
const WAITING = 0;
const SENT = 1;
const DONE = 2;

interface Item {
  readonly payload: Buffer;
  /** The room channels it goes out on; empty: the namespace channel. */
  readonly channels: readonly string[];
  /** This node's sequence number of the append, so that Redis takes each one once however often it is sent. */
  readonly seq: number;
  /** The gap marker itself: if Redis refuses it, nothing more can be said. */
  readonly marker: boolean;
  state: number;
}

/* Redis errors that pass (a restart loading its data, a failover, a busy script): retried like a lost connection */
const TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOSCRIPT)\b/;

/** True for an error Redis answered that a retry would only repeat (out of memory, a wrong key type). */
function refused(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError" && !TRANSIENT.test(err.message);
}

/* retries back off from 50 ms to this */
const MAX_BACKOFF_MS = 1000;

/**
 * The appends of one namespace on this node, in order, until Redis has taken them. While Redis is
 * unreachable they wait (up to {@link OutboxLimits}) and are sent again, in the same order, once
 * it answers: the events reach every node late instead of never. Each carries a sequence number
 * the append script checks, so one that Redis ran before the connection broke is not appended a
 * second time. What cannot wait (over the limits, or refused by Redis) is counted, and once Redis
 * takes appends again a gap marker goes out in their place: every node then resynchronises the
 * sockets it would have reached (docs/RECOVERY.md, "Redis outages").
 */
export class AppendOutbox {
  private readonly items: Item[] = [];
  /** Index in `items` of the oldest append not yet taken. */
  private head = 0;
  private nextSeq = 1;
  private bytes = 0;
  /** Sends not settled yet; the next round starts when none is left, so the order holds. */
  private inFlight = 0;
  /** Settles when `inFlight` drops to 0 (for `close()`). */
  private idle: (() => void) | undefined;
  /** A send failed: later appends wait for the retry, so the order holds. */
  private holding = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Events given up since the last gap marker. */
  private lost = 0;
  private closed = false;
  /** The position of the newest append Redis took (by sequence number), for `taken`. */
  private position: string | undefined;
  private positionSeq = 0;
  /** `taken` callers, oldest first: each waits for the appends up to its sequence number. */
  private readonly takers: { seq: number; resolve: (position: string | undefined) => void }[] = [];

  constructor(
    private readonly send: (payload: Buffer, seq: number, channels: readonly string[]) => Promise<unknown>,
    private readonly gapMarker: Buffer,
    private readonly limits: OutboxLimits,
    private readonly warn: (message: string, error?: unknown) => void,
  ) {}

  /** Appends not yet taken by Redis. */
  get queued(): number {
    return this.items.length - this.head;
  }

  /**
   * Settles once Redis took (or refused) every append queued so far, with the newest position
   * it returned; undefined when none is waiting. At most one caller per queued append waits.
   */
  taken(): Promise<string | undefined> | undefined {
    if (this.queued === 0 || this.closed || this.takers.length >= this.limits.maxItems) return undefined;
    const seq = this.nextSeq - 1;
    return new Promise((resolve) => this.takers.push({ seq, resolve }));
  }

  /** Queues an append of `payload`, published on `channels` (room channels; none: the namespace channel). */
  push(payload: Buffer, channels: readonly string[]): void {
    if (this.closed || this.queued >= this.limits.maxItems || this.bytes + payload.length > this.limits.maxBytes) {
      if (this.lost++ === 0) this.warn(`events are being dropped: ${this.queued} are waiting for Redis already; the sockets they target will be resynchronised`);
      return;
    }
    this.enqueue(payload, channels, false);
  }

  private enqueue(payload: Buffer, channels: readonly string[], marker: boolean): void {
    const item: Item = { payload, channels, seq: this.nextSeq++, marker, state: WAITING };
    this.items.push(item);
    this.bytes += payload.length;
    if (!this.holding) this.dispatch(item);
  }

  private dispatch(item: Item): void {
    item.state = SENT;
    this.inFlight++;
    this.send(item.payload, item.seq, item.channels).then(
      (position) => {
        if (typeof position === "string" && item.seq > this.positionSeq) {
          this.position = position;
          this.positionSeq = item.seq;
        }
        this.settled(item, undefined);
      },
      (err: unknown) => this.settled(item, err),
    );
  }

  private settled(item: Item, err: unknown): void {
    this.inFlight--;
    if (err === undefined || refused(err)) {
      if (err !== undefined) {
        this.warn(item.marker ? "Redis refused a gap marker; the loss it announces is not announced" : "Redis refused an event (not delivered; its sockets will be resynchronised)", err);
        if (!item.marker) this.lost++;
      } else if (this.failures > 0) {
        this.failures = 0;
        this.warn("Redis takes appends again: the events that waited follow, in order");
      }
      item.state = DONE;
      this.dropTaken();
      this.answerTakers();
      // Redis answers again: say what was lost, once
      if (this.lost > 0 && !this.closed && err === undefined) {
        this.lost = 0;
        this.enqueue(this.gapMarker, NAMESPACE, true);
      }
    } else {
      item.state = WAITING;
      if (!this.holding) {
        // one failed round: later appends wait, the next round comes after a backoff
        this.holding = true;
        if (this.failures === 0) this.warn("appends are failing (Redis unreachable?): events wait here and are sent again once Redis answers", err);
        this.failures++;
      }
    }
    if (this.inFlight > 0) return;
    if (this.holding && !this.closed) this.scheduleRetry();
    this.idle?.();
  }

  private answerTakers(): void {
    const oldest = this.head < this.items.length ? this.items[this.head].seq : this.nextSeq;
    while (this.takers.length > 0 && this.takers[0].seq < oldest) this.takers.shift()!.resolve(this.position);
  }

  private dropTaken(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head].state === DONE) {
      this.bytes -= items[this.head].payload.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return;
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.failures - 1, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.resend();
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends every waiting append again, oldest first. */
  private resend(): void {
    this.holding = false;
    for (let i = this.head; i < this.items.length; i++) if (this.items[i].state === WAITING) this.dispatch(this.items[i]);
  }

  /** One last attempt for what waits, then whatever Redis did not take is reported lost. */
  async close(): Promise<void> {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.resend();
    }
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    for (const taker of this.takers.splice(0)) taker.resolve(this.position);
    const left = this.queued;
    if (left > 0) this.warn(`${left} event(s) could not be appended before close: they are lost`);
    this.items.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
