import type { MembershipChange } from "./messages.js";

export interface FenceGateOptions {
  /** ms a change waits for its fences; then it is applied anyway (counted by `onTimeout`). */
  timeout: number;
  /** Applies a change (and confirms it when asked). */
  apply: (change: MembershipChange) => void;
  /** Handles a message that waited behind a change of its origin. */
  handle: (message: GatedMessage, channel: string) => void;
  /** A change was applied without all its fences (timeout, or too many waiting). */
  onTimeout: () => void;
}

/** A message from another node or an emitter, as the gate keeps it. */
export interface GatedMessage {
  uid: string;
}

interface OriginWait {
  readonly changeId: string;
  readonly change: MembershipChange;
  /** Channels whose FENCE has not arrived yet. */
  readonly awaiting: Set<string>;
  /** Later messages of the same origin, in arrival order. */
  readonly queue: { message: GatedMessage; channel: string }[];
  readonly timer: NodeJS.Timeout;
}

/* Stands for the recovery store in a wait's `awaiting`: no channel name is empty. */
const STORE = "";

/* Fences remembered while their change has not arrived (it usually follows within a millisecond). */
const MAX_EARLY_FENCES = 1000;
/* Origins with a change waiting at once; one more is applied without waiting. */
const MAX_WAITING_ORIGINS = 1000;
/* Messages kept behind one waiting change; one more applies the change at once. */
const MAX_QUEUED = 10_000;

/**
 * The receiving side of fences (see `ordered-publisher.ts`). A membership change that names
 * fences is applied once the FENCE of each named channel this node listens to has arrived, so
 * after everything its origin published there before the change. Meanwhile that origin's later
 * messages wait behind it, except those on a channel whose fence is still awaited: those were
 * published before the change.
 */
export class FenceGate {
  /** `${uid}#${changeId}` -> channels whose fence arrived before the change itself. */
  private readonly early = new Map<string, Set<string>>();
  private readonly waits = new Map<string, OriginWait>();

  constructor(private readonly opts: FenceGateOptions) {}

  /** Origins with a change waiting for fences now. */
  get size(): number {
    return this.waits.size;
  }

  /** A FENCE of change `changeId` from `uid` arrived on `channel`. */
  fence(uid: string, changeId: string, channel: string): void {
    const wait = this.waits.get(uid);
    if (wait !== undefined && wait.changeId === changeId) {
      wait.awaiting.delete(channel);
      if (wait.awaiting.size === 0) this.proceed(uid);
      return;
    }
    const key = `${uid}#${changeId}`;
    let channels = this.early.get(key);
    if (channels === undefined) {
      if (this.early.size >= MAX_EARLY_FENCES) {
        for (const oldest of this.early.keys()) {
          this.early.delete(oldest);
          break;
        }
      }
      channels = new Set();
      this.early.set(key, channels);
    }
    channels.add(channel);
  }

  /**
   * A change naming `fences` (with its `changeId`): applied now if every fence it needs already
   * arrived, else once they do. `listening(channel)` tells whether this node hears `channel` now.
   */
  change(change: MembershipChange & { changeId: string; fences: string[] }, listening: (channel: string) => boolean, stored?: Promise<unknown>): void {
    const key = `${change.uid}#${change.changeId}`;
    const arrived = this.early.get(key);
    this.early.delete(key);
    let awaiting: Set<string> | undefined;
    for (const channel of change.fences) {
      if (listening(channel) && arrived?.has(channel) !== true) (awaiting ??= new Set()).add(channel);
    }
    // the recovery store delivers the origin's earlier emits on a connection of its own
    if (stored !== undefined) (awaiting ??= new Set()).add(STORE);
    if (awaiting === undefined) {
      this.opts.apply(change);
      return;
    }
    if (this.waits.size >= MAX_WAITING_ORIGINS) {
      this.opts.onTimeout();
      this.opts.apply(change);
      return;
    }
    const uid = change.uid;
    const timer = setTimeout(() => {
      this.opts.onTimeout();
      this.proceed(uid);
    }, this.opts.timeout);
    timer.unref();
    this.waits.set(uid, { changeId: change.changeId, change, awaiting, queue: [], timer });
    if (stored !== undefined) {
      const done = (): void => {
        const wait = this.waits.get(uid);
        if (wait?.changeId !== change.changeId || !wait.awaiting.delete(STORE)) return;
        if (wait.awaiting.size === 0) this.proceed(uid);
      };
      stored.then(done, done);
    }
  }

  /**
   * Keeps `message` (from another origin than this node) when it must wait behind a change of its
   * origin, and returns true; false means: handle it now.
   */
  holds(message: GatedMessage, channel: string): boolean {
    const wait = this.waits.get(message.uid);
    if (wait === undefined || wait.awaiting.has(channel)) return false;
    if (wait.queue.length >= MAX_QUEUED) {
      this.opts.onTimeout();
      this.proceed(message.uid);
      return this.holds(message, channel);
    }
    wait.queue.push({ message, channel });
    return true;
  }

  /** This node stopped listening to `channel`: no fence will come through it any more. */
  unlistened(channel: string): void {
    for (const [uid, wait] of this.waits) {
      if (wait.awaiting.delete(channel) && wait.awaiting.size === 0) this.proceed(uid);
    }
  }

  /** The origin closed: its waiting change and the messages behind it are handled now. */
  originGone(uid: string): void {
    this.proceed(uid);
  }

  close(): void {
    for (const wait of this.waits.values()) clearTimeout(wait.timer);
    this.waits.clear();
    this.early.clear();
  }

  private proceed(uid: string): void {
    const wait = this.waits.get(uid);
    if (wait === undefined) return;
    clearTimeout(wait.timer);
    this.waits.delete(uid);
    this.opts.apply(wait.change);
    // A queued change may start a new wait; what follows it is then sorted again.
    for (const { message, channel } of wait.queue) {
      if (!this.holds(message, channel)) this.opts.handle(message, channel);
    }
  }
}
