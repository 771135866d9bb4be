import { type AckCallback, ackError } from "./ack-registry.js";

/** Per-emit modifiers (`volatile`, `timeout(ms)`), captured when the emit is made. */
export interface EmitFlags {
  volatile?: boolean;
  timeout?: number;
  /** Set on emits the retry queue replays, so they are not queued twice. */
  fromQueue?: boolean;
}

interface QueuedEmit {
  /** `[event, ...args]` */
  args: unknown[];
  ack: AckCallback | undefined;
  flags: EmitFlags;
  tries: number;
  inFlight: boolean;
}

/**
 * At-least-once delivery for `retries > 0`: one emit in flight at a time (so order holds),
 * resent when its ack times out or after a reconnect, given up after `retries` resends.
 * The user's callback is error-first: `(err, ...reply)`.
 */
export class RetryQueue {
  private readonly _queue: QueuedEmit[] = [];

  constructor(
    private readonly _retries: number,
    private readonly _max: number,
    /** Sends one attempt; the last element of `args` is the ack callback. */
    private readonly _send: (args: unknown[], flags: EmitFlags) => void,
    private readonly _canSend: () => boolean,
    private readonly _onDrop: () => void,
  ) {}

  add(args: unknown[], flags: EmitFlags): void {
    const queue = this._queue;
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckCallback) : undefined;
    if (queue.length >= this._max) {
      // the oldest emit not in flight: the one in flight may already have reached the server
      const [dropped] = queue.splice(queue[0].inFlight ? 1 : 0, 1);
      this._onDrop();
      dropped?.ack?.(ackError("retry queue is full"));
    }
    queue.push({ args, ack, flags: { ...flags, fromQueue: true }, tries: 0, inFlight: false });
    this.drain();
  }

  /** Sends the head of the queue if nothing is in flight; `force` resends it (after a reconnect). */
  drain(force?: boolean): void {
    const head = this._queue[0];
    if (!head || !this._canSend() || (head.inFlight && !force)) return;
    head.inFlight = true;
    head.tries++;
    this._send([...head.args, (err: Error | null, ...reply: unknown[]) => this._onReply(head, err, reply)], head.flags);
  }

  private _onReply(entry: QueuedEmit, err: Error | null, reply: unknown[]): void {
    if (entry !== this._queue[0]) return; // a late reply to an emit already settled
    entry.inFlight = false;
    if (!err || entry.tries > this._retries) {
      this._queue.shift();
      entry.ack?.(err, ...(err ? [] : reply));
    }
    this.drain();
  }
}
