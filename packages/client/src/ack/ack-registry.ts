import { type ErrorCode, MAX_ACK_ID, RoomcastError } from "@roomcast/protocol";

/** An ack callback; error-first ones get `null` (or an error) before the server's arguments. */
export type AckCallback = (...args: any[]) => void;

/** An error for an ack that will never arrive (`code` says why: timeout or cancelled). */
export function ackError(why: string, code: ErrorCode = "ERR_ACK_CANCELLED"): RoomcastError {
  return new RoomcastError(code, why);
}

/**
 * Acks this client waits for, by packet id. Each has an owner (the socket), an optional expiry
 * and a bound: past `max` the oldest is given up and reported through `onDrop`.
 * (Members are `_`-named so the browser bundle can shorten them.)
 */
export class AckRegistry {
  private _nextId = 0;
  /* one closure per ack: it clears its timer and calls back in the callback's style */
  private readonly _pending = new Map<number, (err: Error | null, args: unknown[]) => void>();

  constructor(
    private readonly _max: number,
    private readonly _onDrop: () => void,
  ) {}

  /**
   * Registers `callback` and returns its packet id. With a `timeout` the callback gets an
   * ERR_ACK_TIMEOUT error when no ack arrives in time, after `onTimeout(id)` ran.
   */
  _register(callback: AckCallback, errorFirst: boolean, timeout?: number, onTimeout?: (id: number) => void): number {
    const pending = this._pending;
    if (pending.size >= this._max) {
      this._settle(pending.keys().next().value, ackError("too many pending acks"));
      this._onDrop();
    }
    const id = this._nextId;
    this._nextId = id === MAX_ACK_ID ? 0 : id + 1;
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            onTimeout?.(id);
            this._settle(id, ackError("operation has timed out", "ERR_ACK_TIMEOUT"));
          }, timeout);
    pending.set(id, (err, args) => {
      clearTimeout(timer);
      if (errorFirst) callback(err, ...args);
      else if (!err) callback(...args);
    });
    return id;
  }

  /**
   * Delivers the server's reply (`err` null) or gives up with `err`: error-first callbacks hear
   * it, others are forgotten. Unknown ids (late, or already given up) are ignored.
   */
  _settle(id: number | undefined, err: Error | null, args: unknown[] = []): void {
    const settle = this._pending.get(id!);
    if (settle) {
      this._pending.delete(id!);
      settle(err, args);
    }
  }

  /** Gives up on every ack for which `keep(id)` is not true. */
  _failAll(err: Error, keep?: (id: number) => boolean): void {
    for (const id of [...this._pending.keys()]) if (!keep?.(id)) this._settle(id, err);
  }
}
