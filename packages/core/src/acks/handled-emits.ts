import { replyFits } from "./reply-size.js";

/** Server option `handledEmits`: the window of ids each socket remembers (docs/RECOVERY.md, "Delivery guarantees"). */
export interface HandledEmitsOptions {
  /**
   * Ids one session remembers. Past it the oldest answered id is forgotten; while this many runs
   * have not answered yet, another emit with an id is refused (ERR_TOO_MANY_PENDING_EMITS).
   * Default 32.
   */
  maxIds: number;
  /** How long (ms) after its first arrival an id is remembered. Default 300000 (5 minutes). */
  maxAge: number;
  /**
   * Largest reply (bytes, about its JSON length) kept for resends. A larger one still goes to the
   * client once; a resend is then refused with ERR_REPLY_TOO_LARGE instead of answered. Default 1024.
   */
  maxReplyBytes: number;
}

/**
 * One emit with an id in a session record, as a store keeps it (plain data: the Redis store
 * writes it with msgpack).
 */
export interface HandledEmitRecord {
  /** The emit's id (its EVENT_ONCE ack id). */
  id: number;
  /** When it first arrived, ms since the Unix epoch. */
  at: number;
  /**
   * The arguments the handler acknowledged with. Absent while the run has not answered; `null`
   * when it answered with a reply over `maxReplyBytes`, which was not kept.
   */
  reply?: unknown[] | null;
}

/** What an arriving emit with an id is. */
export type EmitArrival =
  /** first seen: run its handler */
  | "new"
  /** its run has not answered yet: the answer goes out when it comes */
  | "running"
  /** answered: send the kept reply again */
  | "answered"
  /** answered with a reply too large to keep */
  | "unkept"
  /** `maxIds` runs have not answered yet: refuse it */
  | "full";

interface Entry {
  readonly id: number;
  readonly at: number;
  /* undefined: not answered yet; null: answered, reply not kept */
  reply: unknown[] | null | undefined;
}

/**
 * The emits with an id one session has run, and their replies: how the server runs a handler at
 * most once per id however often the client resends it. Bounded by `maxIds` entries, each at most
 * `maxAge` old with a reply of at most `maxReplyBytes`. It belongs to the socket (and to its
 * recovery session across reconnects), so it goes when they go.
 */
export class HandledEmits {
  private readonly entries = new Map<number, Entry>();
  /*
   * Entries in arrival order from `head`, so expiry and eviction look at the front only. An entry
   * no longer in `entries` (forgotten, or evicted from behind a run still going) is stale and
   * skipped; the array is compacted before what it holds besides live entries outnumbers them.
   */
  private order: Entry[] = [];
  private head = 0;
  private running = 0;

  constructor(private readonly limits: HandledEmitsOptions) {}

  /** A window restored from a session record; entries past `maxAge` are left out. */
  static from(records: readonly HandledEmitRecord[], limits: HandledEmitsOptions, now: number): HandledEmits {
    const window = new HandledEmits(limits);
    const oldest = now - limits.maxAge;
    for (const { id, at, reply } of records) {
      if (at <= oldest || window.entries.has(id)) continue;
      window.add({ id, at, reply });
    }
    return window;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.entries.size;
  }

  /** Files an arriving emit `id`: "new" ones are remembered as running from now on. */
  arrive(id: number, now: number): EmitArrival {
    this.expire(now);
    const entry = this.entries.get(id);
    if (entry !== undefined) return entry.reply === undefined ? "running" : entry.reply === null ? "unkept" : "answered";
    if (this.entries.size >= this.limits.maxIds && !this.dropOldestAnswered()) return "full";
    this.add({ id, at: now, reply: undefined });
    return "new";
  }

  /** The kept reply of an answered id. */
  replyOf(id: number): unknown[] | undefined {
    return this.entries.get(id)?.reply ?? undefined;
  }

  /**
   * Records the answer of `id`'s run. False when there is nothing to record: it answered already
   * (an ack function called twice) or the id was forgotten.
   */
  settle(id: number, reply: unknown[]): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.reply !== undefined) return false;
    entry.reply = replyFits(reply, this.limits.maxReplyBytes) ? reply : null;
    this.running--;
    return true;
  }

  /** Forgets a run that never reached its handler (packet middleware refused it), so a resend runs. */
  forget(id: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.reply !== undefined) return;
    this.entries.delete(id);
    this.running--;
  }

  /** The window as a session record keeps it. */
  record(now: number): HandledEmitRecord[] {
    this.expire(now);
    const records: HandledEmitRecord[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const { id, at, reply } = this.order[i];
      if (this.entries.get(id) === this.order[i]) records.push(reply === undefined ? { id, at } : { id, at, reply });
    }
    return records;
  }

  private add(entry: Entry): void {
    this.entries.set(entry.id, entry);
    if (entry.reply === undefined) this.running++;
    // the consumed front and stale entries go once they are as many as the live ones: O(1) amortised
    if (this.order.length >= 2 * this.entries.size + 16) this.compact();
    this.order.push(entry);
  }

  private live(entry: Entry): boolean {
    return this.entries.get(entry.id) === entry;
  }

  private expire(now: number): void {
    const oldest = now - this.limits.maxAge;
    const order = this.order;
    while (this.head < order.length) {
      const entry = order[this.head];
      if (this.live(entry)) {
        if (entry.at > oldest) break;
        this.entries.delete(entry.id);
        if (entry.reply === undefined) this.running--;
      }
      this.head++;
    }
    if (this.head === order.length) {
      order.length = 0;
      this.head = 0;
    }
  }

  private dropOldestAnswered(): boolean {
    if (this.running >= this.entries.size) return false;
    const order = this.order;
    for (let i = this.head; i < order.length; i++) {
      const entry = order[i];
      if (entry.reply !== undefined && this.live(entry)) {
        this.entries.delete(entry.id);
        if (i === this.head) this.head++;
        return true;
      }
    }
    return false;
  }

  private compact(): void {
    this.order = this.order.slice(this.head).filter((entry) => this.live(entry));
    this.head = 0;
  }
}
