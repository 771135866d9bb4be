import { ErrorCode, RoomcastError } from "@roomcast/protocol";
import type { ClusterResponse } from "./messages.js";

/** A request waiting for other nodes. The registry owns its timer and removes it when it settles. */
export interface PendingRequest {
  /** Uids of the nodes that have not answered yet. */
  readonly waiting: Set<string>;
  /** Handles a response; returns true when the request is complete. */
  receive(from: string, message: ClusterResponse): boolean;
  /** A node it waits for is gone; returns true when the request is now settled. */
  nodeGone(uid: string): boolean;
  /** The expiry passed. */
  expire(): void;
  /** The adapter closes. */
  cancel(err: Error): void;
}

/**
 * Every in-flight cluster request of one adapter, bounded in number and each with an expiry.
 * Close cancels them all, so nothing waits on a closed adapter.
 */
export class PendingRequests {
  private readonly requests = new Map<string, { request: PendingRequest; timer: NodeJS.Timeout }>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.requests.size;
  }

  /** Registers `request`; throws a TOO_MANY_PENDING_REQUESTS error when the registry is full. */
  add(id: string, request: PendingRequest, timeoutMs: number): void {
    if (this.requests.size >= this.max) {
      throw new RoomcastError(ErrorCode.TOO_MANY_PENDING_REQUESTS, `too many pending cluster requests (${this.max})`);
    }
    const timer = setTimeout(() => {
      this.requests.delete(id);
      request.expire();
    }, timeoutMs);
    timer.unref();
    this.requests.set(id, { request, timer });
  }

  receive(id: string, from: string, message: ClusterResponse): void {
    const entry = this.requests.get(id);
    if (!entry) return;
    if (entry.request.receive(from, message)) this.settle(id);
  }

  nodeGone(uid: string): void {
    for (const [id, entry] of this.requests) {
      if (entry.request.waiting.has(uid) && entry.request.nodeGone(uid)) this.settle(id);
    }
  }

  cancelAll(err: Error): void {
    const entries = [...this.requests.values()];
    this.requests.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.request.cancel(err);
    }
  }

  private settle(id: string): void {
    const entry = this.requests.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.requests.delete(id);
  }
}
