import { ErrorCode, RoomcastError } from "@roomcast/protocol";

type AckFunction = (...args: any[]) => void;

interface PendingAck {
  fn: AckFunction;
  /** True when `fn` takes an error first: `(err, ...reply)`. */
  withError: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Raised (or passed to ack callbacks) when no reply came in time. Broadcasts attach the replies that did. */
export class AckTimeoutError extends RoomcastError {
  responses?: unknown[];

  constructor(responses?: unknown[]) {
    super(ErrorCode.ACK_TIMEOUT, "operation has timed out");
    this.name = "AckTimeoutError";
    if (responses !== undefined) this.responses = responses;
  }
}

/**
 * The acks one socket is waiting for. Bounded (`limit`), each entry may carry an expiry, and the
 * owning socket calls `cancelAll()` on disconnect so nothing outlives it.
 *
 * On cancel, callbacks that take an error first get ERR_ACK_CANCELLED; plain callbacks
 * (`emit(ev, (reply) => …)` without `timeout`) are dropped, as in Socket.IO.
 */
export class AckRegistry {
  private readonly pending = new Map<number, PendingAck>();
  private readonly expire = (id: number): void => {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.onTimeout();
    this.call(entry, [new AckTimeoutError()]);
  };

  constructor(
    private readonly limit: number,
    private readonly onCallbackError: (err: unknown) => void,
    private readonly onTimeout: () => void = () => {},
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Whether another ack fits under the limit. */
  get full(): boolean {
    return this.pending.size >= this.limit;
  }

  /**
   * Registers `fn` for ack `id`. Returns false (and registers nothing) when the registry is full.
   * With `timeoutMs`, `fn` gets an AckTimeoutError when no reply arrived in time.
   */
  add(id: number, fn: AckFunction, withError: boolean, timeoutMs?: number): boolean {
    if (this.pending.size >= this.limit) return false;
    const previous = this.pending.get(id);
    if (previous?.timer) clearTimeout(previous.timer);
    const timer = timeoutMs === undefined ? undefined : setTimeout(this.expire, timeoutMs, id);
    timer?.unref();
    this.pending.set(id, { fn, withError, timer });
    return true;
  }

  /** Gives a pending entry an expiry (broadcast acks learn their timeout when the packet is delivered). */
  setExpiry(id: number, timeoutMs: number): void {
    const entry = this.pending.get(id);
    if (!entry || entry.timer) return;
    entry.timer = setTimeout(this.expire, timeoutMs, id);
    entry.timer.unref();
  }

  /** Delivers a reply. Returns false for an unknown (late, duplicate or made-up) id. */
  resolve(id: number, args: unknown[]): boolean {
    const entry = this.pending.get(id);
    if (!entry) return false;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    this.call(entry, entry.withError ? [null, ...args] : args);
    return true;
  }

  /** Drops every pending ack; error-first callbacks learn why. */
  cancelAll(): void {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      if (entry.timer) clearTimeout(entry.timer);
      if (entry.withError) {
        this.call(entry, [new RoomcastError(ErrorCode.ACK_CANCELLED, "socket has been disconnected")]);
      }
    }
  }

  private call(entry: PendingAck, args: unknown[]): void {
    try {
      entry.fn(...args);
    } catch (err) {
      this.onCallbackError(err);
    }
  }
}
