import { randomBytes } from "node:crypto";
import {
  formatPosition,
  type HandledEmitRecord,
  OutgoingPacket,
  type RecoverySession,
  type RecoveryStore,
  type RecoveryStoreContext,
  type RecoveryStoreFactory,
  type Room,
  isTargeted,
  offsetParts,
  splitPosition,
  type BroadcastOptions,
} from "@roomcast/core";
import { PacketType } from "@roomcast/protocol";
import { Packr } from "msgpackr";
import { AppendOutbox } from "./append-outbox.js";
import { type EncodedSession, LiveSessions, type LiveSessionTimings } from "./live-sessions.js";
import type { RedisClient } from "./redis-client.js";
import { StreamFollower } from "./stream-follower.js";
import { checkStreamsStoreOptions } from "./streams-store-options.js";

export interface StreamsStoreOptions {
  /** First part of every key and channel; servers sharing a store must agree on it. Default "roomcast". */
  prefix?: string;
  /**
   * How long (ms) a change to a live session (a room joined or left) waits before it is written,
   * so that more changes share one write. The socket's output waits as long, and a crash can lose
   * changes this recent (docs/RECOVERY.md, "Crashes"). Default 0: the next turn of the event loop.
   */
  sessionFlushDelay?: number;
  /**
   * How often (ms) every live session is written again: its TTL renewed and `socket.data`
   * captured. Default a quarter of `maxDisconnectionDuration`, between 1000 and 30000.
   */
  sessionRefreshInterval?: number;
}

/* Plain msgpack (no records), so another process or a redis-cli session can read the entries. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", moreTypes: false });

/**
 * One stream entry: [rooms, except, [event, ...args]]. `null` instead of the event is a gap
 * marker: events meant for those sockets were lost (see AppendOutbox); they resynchronise.
 */
type Entry = [Room[], Room[], unknown[] | null];

/* The gap marker every outbox sends: it targets every socket of the namespace. */
const GAP_MARKER = packr.pack([[], [], null] satisfies Entry);

/* An outbox waits for Redis with at most this many bytes of events, beside the `maxPackets` bound. */
const OUTBOX_MAX_BYTES = 32 * 1024 * 1024;
/* How long (ms) Redis remembers the last sequence number a node appended, so a resend is taken once. */
const ORIGIN_TTL_MS = 10 * 60 * 1000;

/*
 * Stamping and fan-out are one atomic step: the stream id XADD assigns is published with the
 * packet, so every node hears packets in stream order and positions only grow for every client.
 * The epoch is created on first use and disappears if Redis loses its data, which makes every
 * older position unrecoverable instead of silently wrong. KEYS[3] holds the sequence number of the
 * newest append of this node (ARGV[6]): an append sent again after a broken connection, which
 * Redis had already run, is not appended twice.
 */
const APPEND = `
local seen = redis.call('GET', KEYS[3])
if seen and tonumber(seen) >= tonumber(ARGV[6]) then return false end
local epoch = redis.call('GET', KEYS[2])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[2], epoch) end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'p', ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
redis.call('PUBLISH', ARGV[4], epoch .. ':' .. id .. '|' .. ARGV[5])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
return id`;

/* The position a new session starts after: the epoch and the stream's last id ("0-0" if none yet). */
const HEAD = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[2], epoch) end
local last = '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do if info[i] == 'last-generated-id' then last = info[i + 1] end end
end
return epoch .. ':' .. last`;

/*
 * Everything a replay needs, read atomically: the epoch, the newest id XDEL removed, the last id,
 * the first id kept, how many entries trimming removed, and the entries after ARGV[1].
 */
const REPLAY = `
local epoch = redis.call('GET', KEYS[2])
if not epoch or redis.call('EXISTS', KEYS[1]) == 0 then return {epoch or false, '0-0', '0-0', '0-0', 0, {}} end
local deleted, last, first, added, length = '0-0', '0-0', '0-0', 0, 0
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  local k, v = info[i], info[i + 1]
  if k == 'max-deleted-entry-id' then deleted = v
  elseif k == 'last-generated-id' then last = v
  elseif k == 'entries-added' then added = v
  elseif k == 'length' then length = v
  elseif k == 'first-entry' and v then first = v[1] end
end
return {epoch, deleted, last, first, added - length, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')}`;

/*
 * A session is two keys with one TTL: the session itself, and the window of emits with an id it
 * ran (`handled`), kept apart so a late reply can replace the window alone. They are written
 * (fenced by a third key) and claimed by the scripts of live-sessions.ts.
 */

/* Replaces the window of a session still kept, for the rest of the session's TTL; nothing once taken. */
const KEEP_HANDLED = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl) end
return ttl`;

type ScriptClient = RedisClient & {
  roomcastAppend(
    stream: string,
    epochKey: string,
    originKey: string,
    epoch: string,
    maxLen: number,
    minId: string,
    channel: string,
    payload: Buffer,
    seq: number,
    originTtl: number,
  ): Promise<string | null>;
  roomcastHead(stream: string, epochKey: string, epoch: string): Promise<string>;
  roomcastReplayBuffer(stream: string, epochKey: string, after: string): Promise<[Buffer | null, Buffer, Buffer, Buffer, number, [Buffer, Buffer[]][]]>;
  roomcastKeepHandled(sessionKey: string, handledKey: string, handled: Buffer): Promise<number>;
};

function defineScripts(client: RedisClient): ScriptClient {
  const scripted = client as ScriptClient;
  // EVALSHA with a fallback to EVAL, defined once per client
  if (typeof scripted.roomcastAppend !== "function") {
    client.defineCommand("roomcastAppend", { numberOfKeys: 3, lua: APPEND });
    client.defineCommand("roomcastHead", { numberOfKeys: 2, lua: HEAD });
    client.defineCommand("roomcastReplay", { numberOfKeys: 2, lua: REPLAY });
    client.defineCommand("roomcastKeepHandled", { numberOfKeys: 2, lua: KEEP_HANDLED });
  }
  return scripted;
}

function compareOffsets(a: string, b: string): number {
  const pa = offsetParts(a) ?? [0, 0];
  const pb = offsetParts(b) ?? [0, 0];
  return pa[0] - pb[0] || pa[1] - pb[1];
}

/* A window this store wrote: entries with a numeric id and arrival time. */
function isHandledWindow(value: unknown): value is HandledEmitRecord[] {
  return Array.isArray(value) && value.every((entry: Partial<HandledEmitRecord> | null) => typeof entry?.id === "number" && typeof entry.at === "number");
}

const PIPE = 0x7c; // "|": positions never contain it, so the first one ends the position

/**
 * Connection-state recovery across nodes: packets in a Redis stream per namespace (`XADD MAXLEN ~`),
 * sessions as keys with a TTL, so a client can resume on any node. Every recoverable packet goes
 * through Redis once (stamped and published by one script) and reaches each node in stream order;
 * acks and volatile packets keep going through the adapter.
 *
 * Sessions are kept while their sockets are connected too (written at connect, after each join
 * and leave, and every `sessionRefreshInterval`), so a crashed node's clients resume elsewhere;
 * during a Redis outage events wait on their node and are delivered late, and clients that cannot
 * be given every event are resynchronised (close 4005). See docs/RECOVERY.md, "Crashes" and
 * "Redis outages".
 *
 * @throws TypeError for an unknown option or a value of the wrong type
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL);
 * const io = new Server(3000, {
 *   adapter: createAdapter(redis, redis.duplicate()),
 *   connectionStateRecovery: { store: createStreamsStore(redis) },
 * });
 */
export function createStreamsStore(client: RedisClient, opts: StreamsStoreOptions = {}): RecoveryStoreFactory {
  checkStreamsStoreOptions(opts);
  const prefix = opts.prefix ?? "roomcast";
  /* this node, as the owner written in the fences of its live sessions */
  const owner = randomBytes(9).toString("base64url");
  const noticePrefix = `${prefix}#owner#`;
  const noticeChannel = noticePrefix + owner;
  const stores = new Map<string, RedisStreamsStore>();
  let subscriber: RedisClient | undefined;
  let clientDropped = false;
  // An unreachable Redis shows as failed resumes and warnings, never as an unhandled error.
  if (client.listenerCount("error") === 0) client.on("error", () => {});
  const events = client as RedisClient & EventSource;
  const onClientClose = (): void => {
    clientDropped = true;
  };
  const onClientReady = (): void => {
    if (!clientDropped) return;
    clientDropped = false;
    // Redis may have restarted without its data: every live session is written again
    for (const store of stores.values()) store.live.reconnected();
  };
  /* the client's own events, listened to while the factory has stores (the client is the application's) */
  const listen = (on: boolean): void => {
    const method = on ? "on" : "removeListener";
    events[method]("close", onClientClose);
    events[method]("ready", onClientReady);
  };

  /** SUBSCRIBE once the subscriber is ready (before ioredis's ready check completes it breaks the check, see RedisBus). */
  const whenReady = (sub: RedisClient): Promise<void> => (sub.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => sub.once("ready", () => resolve())));

  const subscriberOf = (): RedisClient => {
    if (subscriber !== undefined) return subscriber;
    const sub = client.duplicate();
    sub.on("error", () => {});
    sub.on("messageBuffer", (channelBytes: Buffer, message: Buffer) => {
      const channel = channelBytes.toString();
      if (channel === noticeChannel) return takenOver(message.toString());
      const store = stores.get(channel);
      const cut = message.indexOf(PIPE);
      if (store !== undefined && cut > 0) store.receive(message.toString("latin1", 0, cut), message.subarray(cut + 1));
    });
    // a broken subscriber connection loses what is published meanwhile: each store catches up
    sub.on("close", () => {
      for (const store of stores.values()) store.follower.interrupted();
    });
    sub.on("ready", () => {
      for (const [channel, store] of stores) {
        // ioredis subscribes again by itself; this reply tells when it is done
        sub.subscribe(channel).then(
          () => store.follower.resumed(),
          () => {},
        );
      }
    });
    void whenReady(sub).then(() => sub.subscribe(noticeChannel).catch(() => {}));
    subscriber = sub;
    return sub;
  };

  /** Another node claimed a session of this node: "<generation>|<session key>". */
  const takenOver = (notice: string): void => {
    const bar = notice.indexOf("|");
    const marker = notice.lastIndexOf("#session#");
    if (bar <= 0 || marker <= bar) return;
    const store = stores.get(`${notice.slice(bar + 1, marker)}#packets`);
    store?.live.takenOver(notice.slice(marker + "#session#".length), Number(notice.slice(0, bar)));
  };

  return (context) => {
    const base = `{${prefix}#${context.nsp}}`;
    const channel = `${base}#packets`;
    const refreshInterval = opts.sessionRefreshInterval ?? Math.min(30_000, Math.max(1000, Math.floor(context.maxDisconnectionDuration / 4)));
    const timings: LiveSessionTimings = { flushDelay: opts.sessionFlushDelay ?? 0, refreshInterval, maxDisconnectionDuration: context.maxDisconnectionDuration };
    const sub = subscriberOf();
    const store = new RedisStreamsStore(defineScripts(client), context, base, channel, { owner, noticePrefix, timings }, () => {
      stores.delete(channel);
      if (stores.size === 0) {
        subscriber?.disconnect();
        subscriber = undefined;
        listen(false);
      } else {
        sub.unsubscribe(channel).catch(() => {});
      }
    });
    if (stores.size === 0) listen(true);
    stores.set(channel, store);
    store.ready = whenReady(sub)
      .then(() => sub.subscribe(channel))
      .then(() => store.follower.started())
      .catch((err: unknown) => context.warn("could not subscribe to the packet channel", err));
    return store;
  };
}

/** The listener methods of an ioredis client (an EventEmitter) that the factory also removes. */
interface EventSource {
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

/** What a store learns from its factory. */
interface StoreNode {
  /** This node's id, written as the owner of its live sessions. */
  owner: string;
  /** Channel prefix on which a node hears that its session was claimed elsewhere. */
  noticePrefix: string;
  timings: LiveSessionTimings;
}

/** How a session is laid out in Redis: the record, and apart from it the `handled` window. */
function encodeSession(session: RecoverySession): EncodedSession {
  const { handled, ...rest } = session;
  return [packr.pack(rest), handled === undefined ? "" : packr.pack(handled)];
}

/** The store of one namespace; see {@link createStreamsStore}. */
export class RedisStreamsStore implements RecoveryStore {
  readonly distributes = true;
  /** Settles once this node hears the namespace's packets. */
  ready: Promise<void> = Promise.resolve();
  /** Used only if Redis has no epoch for the namespace yet (first use, or data lost). */
  private readonly epochBase = randomBytes(6).toString("base64url");
  /*
   * Each call offers a candidate of its own: a node that re-created the epoch with the same
   * string after Redis lost its data would make the positions of the lost history look current.
   */
  private epochSerial = 0;
  private readonly streamKey: string;
  private readonly epochKey: string;
  private readonly originKey: string;
  /** Writes in flight; `close()` waits for them (sessions written during shutdown). */
  private readonly pending = new Set<Promise<unknown>>();
  /** The sessions of this namespace's live sockets, kept in Redis (crash-safe recovery). */
  readonly live: LiveSessions;
  /** Appends waiting for Redis, in order. */
  readonly outbox: AppendOutbox;
  /** Delivery from the packet channel, with catch-up after the subscription breaks. */
  readonly follower: StreamFollower;

  constructor(
    private readonly client: ScriptClient,
    private readonly context: RecoveryStoreContext,
    private readonly base: string,
    private readonly channel: string,
    node: StoreNode,
    private readonly release: () => void,
  ) {
    this.streamKey = `${base}#stream`;
    this.epochKey = `${base}#epoch`;
    this.originKey = `${base}#origin#${node.owner}`;
    const warn = (message: string, error?: unknown): void => context.warn(message, error);
    this.live = new LiveSessions(client, base, node.owner, node.noticePrefix, node.timings, encodeSession, warn);
    this.outbox = new AppendOutbox((payload, seq) => this.send(payload, seq), GAP_MARKER, { maxItems: context.maxPackets, maxBytes: OUTBOX_MAX_BYTES }, warn);
    this.follower = new StreamFollower(
      {
        read: (after) => this.client.roomcastReplayBuffer(this.streamKey, this.epochKey, after),
        head: () => this.head(),
        deliver: (position, payload) => this.deliverEntry(position, payload),
        gap: () => {
          warn("packets published while this node's subscription was broken cannot be read back; every socket of the namespace is resynchronised");
          this.context.resync?.({ rooms: new Set() });
        },
        warn,
      },
      context.maxPackets,
    );
  }

  append(data: unknown[], opts: BroadcastOptions): void {
    const entry: Entry = [[...opts.rooms], opts.except ? [...opts.except] : [], data];
    let payload: Buffer;
    try {
      payload = packr.pack(entry);
    } catch (err) {
      this.context.warn("an event could not be encoded for the stream", err);
      return;
    }
    this.outbox.push(payload);
  }

  /** A new epoch never used before, for Redis to adopt if it has none (its first use, or its data was lost). */
  private epochCandidate(): string {
    return this.epochBase + (this.epochSerial++).toString(36);
  }

  /** One append, as the outbox sends it (again, after a failure). */
  private send(payload: Buffer, seq: number): Promise<unknown> {
    const minId = String(Math.max(0, Date.now() - this.context.maxDisconnectionDuration));
    return this.client.roomcastAppend(this.streamKey, this.epochKey, this.originKey, this.epochCandidate(), this.context.maxPackets, minId, this.channel, payload, seq, ORIGIN_TTL_MS);
  }

  /** A packet published by any node (this one included), in stream order. */
  receive(position: string, payload: Buffer): void {
    this.follower.receive(position, payload);
  }

  /** One stream entry for this node's sockets: an event, or a gap marker that resynchronises them. */
  private deliverEntry(position: string, payload: Buffer): void {
    let entry: Entry;
    try {
      entry = packr.unpack(payload) as Entry;
    } catch (err) {
      this.context.warn("a malformed stream entry was published", err);
      return;
    }
    const opts: BroadcastOptions = { rooms: new Set(entry[0]), except: new Set(entry[1]), flags: { local: true } };
    if (entry[2] === null) {
      this.context.warn("a node lost events while Redis was unreachable; the sockets they targeted are resynchronised");
      this.context.resync?.(opts);
      return;
    }
    const packet = new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position, data: entry[2] });
    this.context.deliver(packet, opts);
  }

  head(): Promise<string> {
    return this.client.roomcastHead(this.streamKey, this.epochKey, this.epochCandidate());
  }

  /** Stores the session of a socket that dropped (fenced: a session another node resumed is left alone). */
  persistSession(session: RecoverySession, ttl: number): Promise<void> {
    return this.track(this.live.keep(session, ttl));
  }

  /**
   * Claims the session of `pid` for a resume here: it stays in Redis, now owned by this node,
   * until this node writes it again or drops it (see live-sessions.ts).
   */
  async takeSession(pid: string): Promise<RecoverySession | undefined> {
    const claimed = await this.live.claim(pid);
    if (claimed === undefined) return undefined;
    const raw = claimed.session;
    const rawHandled = claimed.handled.length === 0 ? null : claimed.handled;
    const session = packr.unpack(raw) as RecoverySession;
    if (session === null || typeof session !== "object" || typeof session.sid !== "string" || !Array.isArray(session.rooms)) {
      // not a session this store wrote: it cannot be resumed by anyone
      await this.live.discard(pid);
      return undefined;
    }
    const handled = rawHandled === null ? undefined : (packr.unpack(rawHandled) as unknown);
    if (isHandledWindow(handled)) session.handled = handled;
    return session;
  }

  updateHandled(pid: string, handled: HandledEmitRecord[]): Promise<void> {
    return this.track(this.client.roomcastKeepHandled(this.sessionKey(pid), this.handledKey(pid), packr.pack(handled)).then(() => {}));
  }

  private sessionKey(pid: string): string {
    return `${this.base}#session#${pid}`;
  }

  private handledKey(pid: string): string {
    return `${this.base}#handled#${pid}`;
  }

  async replay(position: string, rooms: ReadonlySet<Room>): Promise<OutgoingPacket[] | undefined> {
    const parts = splitPosition(position);
    if (parts === undefined || offsetParts(parts[1]) === undefined) return undefined;
    const [epoch, after] = parts;
    const [currentEpoch, maxDeleted, last, first, trimmed, entries] = await this.client.roomcastReplayBuffer(this.streamKey, this.epochKey, after);
    if (currentEpoch === null || currentEpoch.toString() !== epoch) return undefined;
    if (compareOffsets(after, last.toString()) > 0) return undefined; // from the future
    if (compareOffsets(maxDeleted.toString(), after) > 0) return undefined; // XDEL removed one of them
    /*
     * Trimming removes the oldest entries. When the oldest kept entry comes after `after`, some
     * removed entry may too: refuse (this errs on the safe side only when `after` was itself the
     * newest entry removed).
     */
    if (trimmed > 0 && compareOffsets(first.toString(), after) > 0) return undefined;
    const replayed: OutgoingPacket[] = [];
    /*
     * The read may see entries this node's subscription has not delivered yet. The socket is in its
     * rooms already, so those reach it from the channel (held, then sent after the replay): left
     * out here, they are not sent twice (a socket.io-client does not drop a position it has seen).
     */
    const through = this.follower.deliveredThrough(epoch);
    for (const [id, fields] of entries) {
      if (through !== undefined && compareOffsets(id.toString(), through) > 0) break;
      const entry = packr.unpack(fields[1]) as Entry;
      if (!isTargeted(entry[0], entry[1], rooms)) continue;
      // events for this session were lost in a Redis outage: no partial replay
      if (entry[2] === null) return undefined;
      const at = formatPosition(epoch, id.toString());
      replayed.push(new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position: at, data: entry[2] }));
    }
    return replayed;
  }

  async close(): Promise<void> {
    this.follower.close();
    await Promise.allSettled([...this.pending]);
    await Promise.all([this.outbox.close(), this.live.close()]);
    this.release();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }
}
