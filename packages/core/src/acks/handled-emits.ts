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
   * How long (ms) after its arrival a run may go without answering. Past it the run is given up:
   * its id is forgotten, so it no longer counts against `maxIds` and a resend runs the handler
   * again, and the socket reports it as a handler error. At most `maxAge`; default 60000 (1
   * minute), or `maxAge` when that is lower.
   */
  maxRunTime: number;
  /**
   * Largest reply (bytes, about its JSON length) kept for resends. A larger one still goes to the
   * client once; a resend is then refused with ERR_REPLY_TOO_LARGE instead of answered. At least 1
   * (an empty reply's size: a window that kept no reply could answer no resend). Default 1024.
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

/** What recording the answer of a run found. */
export type Settlement =
  /** the first answer for the id: kept (or noted as too large), and to be sent */
  | "recorded"
  /** the id was answered already (by this run or another one): nothing more to send */
  | "repeated"
  /** the id is not remembered (given up, forgotten or expired): the answer is sent, not kept */
  | "unknown";

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
  /*
   * Entries that were running when they arrived, in arrival order from `runHead`, so giving up
   * overdue runs looks at the front only; answered or forgotten ones are skipped, and compacted
   * away like `order`'s.
   */
  private runs: Entry[] = [];
  private runHead = 0;

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

  /** Runs that have not answered yet. */
  get pending(): number {
    return this.running;
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

  /** Records the answer of `id`'s run, if it is the first one (see {@link Settlement}). */
  settle(id: number, reply: unknown[]): Settlement {
    const entry = this.entries.get(id);
    if (entry === undefined) return "unknown";
    if (entry.reply !== undefined) return "repeated";
    entry.reply = replyFits(reply, this.limits.maxReplyBytes) ? reply : null;
    this.running--;
    return "recorded";
  }

  /**
   * Forgets a run that will not answer, so a resend runs the handler again: it never reached its
   * handler (packet middleware refused it), or its handler threw or rejected first. An answered
   * id stays. True when a run was forgotten.
   */
  forget(id: number): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.reply !== undefined) return false;
    this.entries.delete(id);
    this.running--;
    return true;
  }

  /**
   * Gives up the runs that have gone `maxRunTime` ms without answering: forgets their ids (see
   * {@link forget}) and returns them, oldest first.
   */
  giveUpOverdue(now: number): readonly number[] {
    if (this.running === 0) {
      this.runs.length = 0;
      this.runHead = 0;
      return NONE;
    }
    const oldest = now - this.limits.maxRunTime;
    const runs = this.runs;
    let overdue: number[] | undefined;
    while (this.runHead < runs.length) {
      const entry = runs[this.runHead];
      if (this.live(entry) && entry.reply === undefined) {
        if (entry.at > oldest) break;
        this.entries.delete(entry.id);
        this.running--;
        (overdue ??= []).push(entry.id);
      }
      this.runHead++;
    }
    return overdue ?? NONE;
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
    // the consumed front and stale entries go once they are as many as the live ones: O(1) amortised
    if (this.order.length >= 2 * this.entries.size + 16) this.compact();
    this.order.push(entry);
    if (entry.reply === undefined) {
      this.running++;
      if (this.runs.length >= 2 * this.running + 16) this.compactRuns();
      this.runs.push(entry);
    }
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

  private compactRuns(): void {
    this.runs = this.runs.slice(this.runHead).filter((entry) => entry.reply === undefined && this.live(entry));
    this.runHead = 0;
  }
}

const NONE: readonly number[] = Object.freeze([]);
