import { type AckCallback, ackError } from "./ack-registry.js";

/** Per-emit modifiers (`volatile`, `timeout(ms)`), captured when the emit is made. */
export interface EmitFlags {
  _volatile?: boolean;
  _timeout?: number;
  /** Set on emits the retry queue replays, so they are not queued twice. */
  _fromQueue?: boolean;
}

interface QueuedEmit {
  /** `[event, ...args]` */
  _args: unknown[];
  _ack: AckCallback | undefined;
  _flags: EmitFlags;
  _tries: number;
  _inFlight: boolean;
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

  _add(args: unknown[], flags: EmitFlags): void {
    const queue = this._queue;
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckCallback) : undefined;
    if (queue.length >= this._max) {
      // the oldest emit not in flight: the one in flight may already have reached the server
      const [dropped] = queue.splice(queue[0]._inFlight ? 1 : 0, 1);
      this._onDrop();
      dropped?._ack?.(ackError("retry queue is full"));
    }
    queue.push({ _args: args, _ack: ack, _flags: { ...flags, _fromQueue: true }, _tries: 0, _inFlight: false });
    this._drain();
  }

  /** Sends the head of the queue if nothing is in flight; `force` resends it (after a reconnect). */
  _drain(force?: boolean): void {
    const head = this._queue[0];
    if (!head || !this._canSend() || (head._inFlight && !force)) return;
    head._inFlight = true;
    head._tries++;
    this._send([...head._args, (err: Error | null, ...reply: unknown[]) => this._onReply(head, err, reply)], head._flags);
  }

  private _onReply(entry: QueuedEmit, err: Error | null, reply: unknown[]): void {
    if (entry !== this._queue[0]) return; // a late reply to an emit already settled
    entry._inFlight = false;
    if (!err || entry._tries > this._retries) {
      this._queue.shift();
      entry._ack?.(err, ...(err ? [] : reply));
    }
    this._drain();
  }
}
