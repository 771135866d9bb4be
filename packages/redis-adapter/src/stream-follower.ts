import { formatPosition, offsetParts, splitPosition } from "@roomcast/core";

/**
 * What a read of the stream after an id returns (the store's REPLAY script): the epoch (null when
 * Redis has none: it lost its data), the newest id XDEL removed, the last id, the first id kept,
 * how many entries trimming removed, and the entries after the id, each `[id, ["p", payload]]`.
 */
export type StreamRead = [epoch: Buffer | null, maxDeleted: Buffer, last: Buffer, first: Buffer, trimmed: number, entries: [Buffer, Buffer[]][]];

/** What a follower needs of its store. */
export interface FollowedStream {
  /** Reads the stream after stream id `after` (see {@link StreamRead}). */
  read(after: string): Promise<StreamRead>;
  /** The position of the newest entry, `"<epoch>:<id>"`. */
  head(): Promise<string>;
  /** Hands one entry, in stream order, to this node's sockets. */
  deliver(position: string, payload: Buffer): void;
  /** Entries this node should have delivered are lost: every local socket must resynchronise. */
  gap(): void;
  warn(message: string, error?: unknown): void;
}

function compareIds(a: string, b: string): number {
  const pa = offsetParts(a) ?? [0, 0];
  const pb = offsetParts(b) ?? [0, 0];
  return pa[0] - pb[0] || pa[1] - pb[1];
}

/* a failed catch-up read is tried again after this (ms) */
const RETRY_MS = 250;

/**
 * Follows one namespace's stream through its pub/sub channel and notices what the channel cannot
 * say: a subscriber connection that broke (Redis restarted, a network cut, the subscriber dropped
 * for a full output buffer) loses every message published meanwhile. Once the subscription is
 * back the follower reads the stream after the last entry it delivered and delivers what it
 * missed, late but in order, holding live messages until then; when the stream cannot give it
 * all (Redis lost its data, or trimmed past it) the store resynchronises this node's sockets.
 */
export class StreamFollower {
  /** Epoch and stream id of the newest entry delivered (or of the head when the subscription began). */
  private epoch: string | undefined;
  private lastId: string | undefined;
  /** False from an interruption until its catch-up is done: live messages wait in `held`. */
  private live = true;
  private held: [string, Buffer][] = [];
  private overflow = false;
  /**
   * After a catch-up, the stream id through which the read delivered: messages published before
   * the read may still be on their way on the subscriber connection, and are skipped. Cleared by
   * the first newer one (the channel is in stream order).
   */
  private skipThrough: string | undefined;
  /** Bumped by each interruption and catch-up, so a stale answer is ignored. */
  private round = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: FollowedStream,
    /** Live messages held during a catch-up at most (the namespace's `maxPackets`). */
    private readonly limit: number,
  ) {}

  /**
   * The stream id of the newest entry of `epoch` this node has delivered to its sockets, or
   * undefined when it cannot tell. An entry after it has not reached them yet, and will.
   */
  deliveredThrough(epoch: string): string | undefined {
    return this.epoch === epoch ? this.lastId : undefined;
  }

  /** The subscription is in place for the first time: what it missed before does not concern this node. */
  started(): void {
    this.stream.head().then(
      (head) => {
        // entries already delivered are a better starting point than a head read after them
        if (this.lastId === undefined) this.advance(head);
      },
      (err: unknown) => this.stream.warn("could not read the stream head: if the subscription breaks, every socket will be resynchronised", err),
    );
  }

  /** A message from the channel, in stream order. */
  receive(position: string, payload: Buffer): void {
    if (!this.live) {
      if (this.held.length < this.limit) this.held.push([position, payload]);
      else this.overflow = true;
      return;
    }
    if (this.skipThrough !== undefined) {
      if (this.delivered(position)) return;
      this.skipThrough = undefined;
    }
    this.advance(position);
    this.stream.deliver(position, payload);
  }

  /** Whether the catch-up read already delivered `position`. */
  private delivered(position: string): boolean {
    const parts = splitPosition(position);
    return parts !== undefined && parts[0] === this.epoch && this.skipThrough !== undefined && compareIds(parts[1], this.skipThrough) <= 0;
  }

  /** The subscriber connection broke: messages are being missed from now on. */
  interrupted(): void {
    this.live = false;
    this.round++;
    this.cancelRetry();
  }

  /** The subscription is back in place (after an interruption): reads what was missed. */
  resumed(): void {
    if (this.live) return;
    this.cancelRetry();
    const round = ++this.round;
    const epoch = this.epoch;
    const after = this.lastId;
    if (epoch === undefined || after === undefined) {
      // no known starting point: nothing tells what was missed
      this.caughtUp(round, undefined);
      return;
    }
    this.stream.read(after).then(
      (reply) => this.caughtUp(round, this.complete(epoch, after, reply) ? reply : undefined, reply),
      (err: unknown) => {
        if (round !== this.round) return;
        this.stream.warn("could not read the stream after the subscription came back; trying again", err);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.resumed();
        }, RETRY_MS);
        this.retryTimer.unref();
      },
    );
  }

  close(): void {
    this.cancelRetry();
    this.round++;
    this.held = [];
  }

  /** Whether `reply` holds every entry after `after` of `epoch`. */
  private complete(epoch: string, after: string, reply: StreamRead): boolean {
    const [current, maxDeleted, last, first, trimmed] = reply;
    if (current === null || current.toString() !== epoch) return false;
    if (compareIds(after, last.toString()) > 0) return false; // Redis lost entries we had
    if (compareIds(maxDeleted.toString(), after) > 0) return false;
    return !(trimmed > 0 && compareIds(first.toString(), after) > 0);
  }

  /** `missed`: the read when it is complete; otherwise this node lost entries and resynchronises. */
  private caughtUp(round: number, missed: StreamRead | undefined, reply?: StreamRead): void {
    if (round !== this.round) return;
    if (missed !== undefined) {
      const epoch = this.epoch as string;
      for (const [id, fields] of missed[5]) {
        const position = formatPosition(epoch, id.toString());
        this.advance(position);
        this.stream.deliver(position, fields[1]);
      }
      this.skipThrough = this.lastId;
    } else {
      this.stream.gap();
      // from here on the history is the stream as it is now
      const current = reply?.[0];
      this.epoch = current === null || current === undefined ? undefined : current.toString();
      this.lastId = reply === undefined ? undefined : reply[2].toString();
    }
    const held = this.held;
    this.held = [];
    this.live = true;
    for (const [position, payload] of held) this.receive(position, payload);
    if (this.overflow) {
      this.overflow = false;
      this.stream.gap();
    }
  }

  private advance(position: string): void {
    const parts = splitPosition(position);
    if (parts === undefined) return;
    this.epoch = parts[0];
    this.lastId = parts[1];
  }

  private cancelRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
