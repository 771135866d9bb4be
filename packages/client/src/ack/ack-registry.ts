import { type ErrorCode, RoomcastError } from "@roomcast/protocol";

/** An ack callback; error-first ones get `null` (or an error) before the server's arguments. */
export type AckCallback = (...args: any[]) => void;

/** An error for an ack that will never arrive (`code` says why: timeout or cancelled). */
export function ackError(why: string, code: ErrorCode = "ERR_ACK_CANCELLED"): RoomcastError {
  return new RoomcastError(code, why);
}

/**
 * Acks this client waits for, by packet id. Each has an owner (the socket), an optional expiry
 * and a bound: past `max` the oldest is given up and reported through `onDrop`.
 */
export interface AckRegistry {
  /**
   * Registers `callback` and returns its packet id: `id` when given (a resend keeps the id of its
   * first send), else the next one. With a `timeout` the callback gets an ERR_ACK_TIMEOUT error
   * when no ack arrives in time, after `onTimeout(id)` ran.
   */
  _register(callback: AckCallback, errorFirst: boolean, timeout?: number, onTimeout?: (id: number) => void, id?: number): number;
  /**
   * Delivers the server's reply (`err` null) or gives up with `err`: error-first callbacks hear
   * it, others are forgotten. Unknown ids (late, or already given up) are ignored.
   */
  _settle(id: number | undefined, err: Error | null, args?: unknown[]): void;
  /** Gives up on every ack for which `keep(id)` is not true. */
  _failAll(err: Error, keep?: (id: number) => boolean): void;
}

/*
 * A closure rather than a class: its state is local variables, which bundlers shorten, and it
 * has one owner that never shares it.
 */
export function ackRegistry(max: number, onDrop: () => void): AckRegistry {
  let nextId = 0;
  /* one closure per ack: it clears its timer and calls back in the callback's style */
  const pending = new Map<number, (err: Error | null, args: unknown[]) => void>();
  const settle = (id: number | undefined, err: Error | null, args: unknown[] = []) => {
    const done = pending.get(id!);
    if (done) {
      pending.delete(id!);
      done(err, args);
    }
  };
  return {
    // ids wrap at 2^32 (MAX_ACK_ID + 1): `>>> 0` is the counter modulo 2^32
    _register(callback, errorFirst, timeout, onTimeout, id = nextId++ >>> 0) {
      if (pending.size >= max) {
        settle(pending.keys().next().value, ackError("too many pending acks"));
        onDrop();
      }
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              onTimeout?.(id);
              settle(id, ackError("operation has timed out", "ERR_ACK_TIMEOUT"));
            }, timeout);
      pending.set(id, (err, args) => {
        clearTimeout(timer);
        if (errorFirst) callback(err, ...args);
        else if (!err) callback(...args);
      });
      return id;
    },
    _settle: settle,
    _failAll(err, keep) {
      for (const id of [...pending.keys()]) if (!keep?.(id)) settle(id, err);
    },
  };
}
