import { type ClusterResponse, MessageType } from "./messages.js";
import { PartialResponseError } from "./partial-response-error.js";
import type { PendingRequest } from "./pending-requests.js";

/**
 * A request that collects one response from each node alive when it was sent (fetchSockets,
 * serverSideEmit with an ack). It resolves once all have answered; if one dies, closes or stays
 * silent until the expiry, it rejects with a PartialResponseError holding what arrived.
 */
export class CollectingRequest<T> implements PendingRequest {
  readonly waiting: Set<string>;
  private readonly missing: string[] = [];
  private done = false;

  constructor(
    private readonly what: string,
    nodes: Iterable<string>,
    private readonly results: T[],
    private readonly extract: (message: ClusterResponse) => T[] | undefined,
    private readonly resolve: (results: T[]) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.waiting = new Set(nodes);
  }

  receive(from: string, message: ClusterResponse): boolean {
    if (this.done || !this.waiting.has(from)) return false;
    const items = this.extract(message);
    if (items === undefined) return false;
    this.waiting.delete(from);
    for (const item of items) this.results.push(item);
    return this.settleIfComplete();
  }

  nodeGone(uid: string): boolean {
    if (this.done || !this.waiting.delete(uid)) return false;
    this.missing.push(uid);
    return this.settleIfComplete();
  }

  expire(): void {
    if (this.done) return;
    for (const uid of this.waiting) this.missing.push(uid);
    this.waiting.clear();
    this.finish();
  }

  cancel(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.reject(err);
  }

  private settleIfComplete(): boolean {
    if (this.waiting.size > 0) return false;
    this.finish();
    return true;
  }

  private finish(): void {
    this.done = true;
    if (this.missing.length === 0) {
      this.resolve(this.results);
      return;
    }
    const message = `${this.what}: ${this.missing.length} node(s) did not answer`;
    this.reject(new PartialResponseError(message, this.results, this.missing));
  }
}

/**
 * The remote side of a broadcast with acks: each node reports how many clients it sent to, then
 * every client reply is forwarded. The broadcast operator counts both and owns the user-facing
 * timeout; this entry only routes and is freed when everything expected arrived or at expiry.
 */
export class BroadcastAckRequest implements PendingRequest {
  readonly waiting: Set<string>;
  private expectedAcks = 0;
  private receivedAcks = 0;

  constructor(
    nodes: Iterable<string>,
    private readonly clientCountCallback: (clientCount: number) => void,
    private readonly ack: (...args: unknown[]) => void,
  ) {
    this.waiting = new Set(nodes);
  }

  receive(from: string, message: ClusterResponse): boolean {
    if (message.type === MessageType.BROADCAST_CLIENT_COUNT) {
      if (!this.waiting.delete(from)) return false;
      this.expectedAcks += message.clientCount;
      this.clientCountCallback(message.clientCount);
    } else if (message.type === MessageType.BROADCAST_ACK) {
      this.receivedAcks++;
      this.ack(...message.args);
    } else {
      return false;
    }
    return this.waiting.size === 0 && this.receivedAcks >= this.expectedAcks;
  }

  /*
   * A node that died before reporting its count is not reported as zero: the operator would then
   * succeed with fewer replies and hide the loss. It times out with the replies it has instead.
   */
  nodeGone(uid: string): boolean {
    this.waiting.delete(uid);
    return false;
  }

  expire(): void {}

  cancel(): void {}
}
