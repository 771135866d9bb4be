import { ErrorCode, RoomcastError } from "@roomcast/protocol";
import type { AckCallback } from "./ack-registry.js";

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
  private readonly queue: QueuedEmit[] = [];

  constructor(
    private readonly retries: number,
    private readonly max: number,
    /** Sends one attempt; the last element of `args` is the ack callback. */
    private readonly send: (args: unknown[], flags: EmitFlags) => void,
    private readonly canSend: () => boolean,
    private readonly onDrop: () => void,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  add(args: unknown[], flags: EmitFlags): void {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckCallback) : undefined;
    if (this.queue.length >= this.max) {
      // the oldest emit not in flight: the one in flight may already have reached the server
      const [dropped] = this.queue.splice(this.queue[0].inFlight ? 1 : 0, 1);
      this.onDrop();
      dropped?.ack?.(new RoomcastError(ErrorCode.ACK_CANCELLED, "retry queue is full"));
    }
    this.queue.push({ args, ack, flags: { ...flags, fromQueue: true }, tries: 0, inFlight: false });
    this.drain();
  }

  /** Sends the head of the queue if nothing is in flight; `force` resends it (after a reconnect). */
  drain(force = false): void {
    const head = this.queue[0];
    if (!head || !this.canSend() || (head.inFlight && !force)) return;
    head.inFlight = true;
    head.tries++;
    this.send([...head.args, (err: Error | null, ...reply: unknown[]) => this.onReply(head, err, reply)], head.flags);
  }

  private onReply(entry: QueuedEmit, err: Error | null, reply: unknown[]): void {
    if (entry !== this.queue[0]) return; // a late reply to an emit already settled
    entry.inFlight = false;
    if (err === null || entry.tries > this.retries) {
      this.queue.shift();
      if (err === null) entry.ack?.(null, ...reply);
      else entry.ack?.(err);
    }
    this.drain();
  }
}
