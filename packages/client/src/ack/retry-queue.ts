import { type AckCallback, ackError } from "./ack-registry.js";

/** Per-emit modifiers (`volatile`, `timeout(ms)`), captured when the emit is made. */
export interface EmitFlags {
  _volatile?: boolean;
  _timeout?: number;
  /**
   * Set on emits the retry queue sends: they are not queued twice, and go out as EVENT_ONCE so
   * the server runs their handler once however often they are resent.
   */
  _fromQueue?: boolean;
  /** The ack id of the first send, which every resend keeps: the emit's identity on the server. */
  _id?: number;
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
 * Delivery for `retries > 0`: one emit in flight at a time (so order holds), resent when its ack
 * times out or after a reconnect, given up after `retries` resends. Every send of one emit carries
 * the same id, so the server runs its handler once and answers resends with the first reply
 * (exactly once within a session; docs/RECOVERY.md, "Delivery guarantees").
 * The user's callback is error-first: `(err, ...reply)`.
 */
export interface RetryQueue {
  /** Queues an emit (`[event, ...args, ack?]`), dropping the oldest one not in flight when full. */
  _add(args: unknown[], flags: EmitFlags): void;
  /** Sends the head of the queue if nothing is in flight; `force` resends it (after a reconnect). */
  _drain(force?: boolean): void;
}

/**
 * @param send - sends one attempt; the last element of `args` is the ack callback.
 * (A closure rather than a class, as the ack registry.)
 */
export function retryQueue(
  retries: number,
  max: number,
  send: (args: unknown[], flags: EmitFlags) => void,
  canSend: () => boolean,
  onDrop: () => void,
): RetryQueue {
  const queue: QueuedEmit[] = [];
  const drain = (force?: boolean) => {
    const head = queue[0];
    if (!head || !canSend() || (head.inFlight && !force)) return;
    head.inFlight = true;
    head.tries++;
    send(
      [
        ...head.args,
        (err: Error | null, ...reply: unknown[]) => {
          if (head !== queue[0]) return; // a late reply to an emit already settled
          head.inFlight = false;
          if (!err || head.tries > retries) {
            queue.shift();
            head.ack?.(err, ...(err ? [] : reply));
          }
          drain();
        },
      ],
      head.flags,
    );
  };
  return {
    _add(args, flags) {
      const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckCallback) : undefined;
      if (queue.length >= max) {
        // the oldest emit not in flight: the one in flight may already have reached the server
        const [dropped] = queue.splice(queue[0].inFlight ? 1 : 0, 1);
        onDrop();
        dropped?.ack?.(ackError("retry queue is full"));
      }
      queue.push({ args, ack, flags: { ...flags, _fromQueue: true }, tries: 0, inFlight: false });
      drain();
    },
    _drain: drain,
  };
}
