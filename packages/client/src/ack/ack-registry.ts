import { ErrorCode, MAX_ACK_ID, RoomcastError } from "@roomcast/protocol";

/** An ack callback; error-first ones get `null` (or an error) before the server's arguments. */
export type AckCallback = (...args: any[]) => void;

interface PendingAck {
  callback: AckCallback;
  errorFirst: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Acks this client waits for, by packet id. Each has an owner (the socket), an optional expiry
 * and a bound: past `max` the oldest is given up and reported through `onDrop`.
 */
export class AckRegistry {
  private nextId = 0;
  private readonly pending = new Map<number, PendingAck>();

  constructor(
    private readonly max: number,
    private readonly onDrop: () => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers `callback` and returns its packet id. With a `timeout` the callback gets an
   * ERR_ACK_TIMEOUT error when no ack arrives in time, after `onTimeout(id)` ran.
   */
  register(callback: AckCallback, errorFirst: boolean, timeout?: number, onTimeout?: (id: number) => void): number {
    if (this.pending.size >= this.max) {
      const oldest = this.pending.keys().next().value as number;
      this.fail(oldest, new RoomcastError(ErrorCode.ACK_CANCELLED, "too many pending acks"));
      this.onDrop();
    }
    const id = this.nextId;
    this.nextId = id === MAX_ACK_ID ? 0 : id + 1;
    const entry: PendingAck = { callback, errorFirst, timer: undefined };
    if (timeout !== undefined) {
      entry.timer = setTimeout(() => {
        onTimeout?.(id);
        this.fail(id, new RoomcastError(ErrorCode.ACK_TIMEOUT, "operation has timed out"));
      }, timeout);
    }
    this.pending.set(id, entry);
    return id;
  }

  /** Delivers the server's ack; unknown ids (late, or already given up) are ignored. */
  resolve(id: number, args: unknown[]): void {
    const entry = this.take(id);
    if (!entry) return;
    if (entry.errorFirst) entry.callback(null, ...args);
    else entry.callback(...args);
  }

  /** Gives up on one ack: error-first callbacks hear `error`, others are forgotten. */
  fail(id: number, error: Error): void {
    const entry = this.take(id);
    if (entry?.errorFirst) entry.callback(error);
  }

  /** Gives up on every ack for which `keep(id)` is not true. */
  failAll(error: Error, keep?: (id: number) => boolean): void {
    for (const id of [...this.pending.keys()]) if (!keep?.(id)) this.fail(id, error);
  }

  private take(id: number): PendingAck | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    return entry;
  }
}
