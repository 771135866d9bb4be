import type { Observable, Subscription } from "rxjs";

/** Counters of one adapter, over all its sockets. `pendingReplies` is a gauge; the others only grow. */
export interface AdapterMetrics {
  /** Handler results (Promises, Observables) subscribed to and not complete yet. */
  pendingReplies: number;
  /** Client events not handled because their socket already had `maxPendingReplies` results pending. */
  refusedMessages: number;
  /** Handler results that failed past Nest's exception filters (each one is logged). */
  replyErrors: number;
}

export function createAdapterMetrics(): AdapterMetrics {
  return { pendingReplies: 0, refusedMessages: 0, replyErrors: 0 };
}

/**
 * The handler results of one socket that are still running: a Promise not settled yet, an
 * Observable that has not completed. They are bounded per socket, and unsubscribed when the
 * socket disconnects, so an `interval()` a handler returned stops with its client.
 */
export class PendingReplies {
  private readonly live = new Set<Subscription>();
  private cancelled = false;

  constructor(
    private readonly limit: number,
    private readonly metrics: AdapterMetrics,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Whether the socket has `limit` results running: one more must not start. */
  get full(): boolean {
    return this.live.size >= this.limit;
  }

  /** Subscribes to a handler's result; `next` gets each value. */
  track(result: Observable<unknown>, next: (value: unknown) => void): void {
    // `finish` may run inside subscribe(), before the subscription is known
    const state: { subscription: Subscription | undefined; finished: boolean } = { subscription: undefined, finished: false };
    const finish = (): void => {
      state.finished = true;
      if (state.subscription !== undefined && this.live.delete(state.subscription)) this.metrics.pendingReplies--;
    };
    state.subscription = result.subscribe({
      next,
      error: (err: unknown) => {
        this.metrics.replyErrors++;
        this.onError(err);
        finish();
      },
      complete: finish,
    });
    // A synchronous result has completed by now and holds nothing.
    if (state.finished || this.cancelled) {
      state.subscription.unsubscribe();
      return;
    }
    this.live.add(state.subscription);
    this.metrics.pendingReplies++;
  }

  /** The socket is gone: every running result is unsubscribed, and nothing new is tracked. */
  cancelAll(): void {
    this.cancelled = true;
    this.metrics.pendingReplies -= this.live.size;
    const running = [...this.live];
    this.live.clear();
    for (const subscription of running) subscription.unsubscribe();
  }
}
