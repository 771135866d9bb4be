import { randomBytes } from "node:crypto";
import {
  formatPosition,
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
import type { RedisClient } from "./redis-bus.js";

export interface StreamsStoreOptions {
  /** First part of every key and channel; servers sharing a store must agree on it. Default "roomcast". */
  prefix?: string;
}

/* Plain msgpack (no records), so another process or a redis-cli session can read the entries. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", moreTypes: false });

/** One stream entry: [rooms, except, [event, ...args]]. */
type Entry = [Room[], Room[], unknown[]];

/*
 * Stamping and fan-out are one atomic step: the stream id XADD assigns is published with the
 * packet, so every node hears packets in stream order and positions only grow for every client.
 * The epoch is created on first use and disappears if Redis loses its data, which makes every
 * older position unrecoverable instead of silently wrong.
 */
const APPEND = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[2], epoch) end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'p', ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
redis.call('PUBLISH', ARGV[4], epoch .. ':' .. id .. '|' .. ARGV[5])
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

type ScriptClient = RedisClient & {
  roomcastAppend(stream: string, epochKey: string, epoch: string, maxLen: number, minId: string, channel: string, payload: Buffer): Promise<string>;
  roomcastHead(stream: string, epochKey: string, epoch: string): Promise<string>;
  roomcastReplayBuffer(stream: string, epochKey: string, after: string): Promise<[Buffer | null, Buffer, Buffer, Buffer, number, [Buffer, Buffer[]][]]>;
};

function defineScripts(client: RedisClient): ScriptClient {
  const scripted = client as ScriptClient;
  // EVALSHA with a fallback to EVAL, defined once per client
  if (typeof scripted.roomcastAppend !== "function") {
    client.defineCommand("roomcastAppend", { numberOfKeys: 2, lua: APPEND });
    client.defineCommand("roomcastHead", { numberOfKeys: 2, lua: HEAD });
    client.defineCommand("roomcastReplay", { numberOfKeys: 2, lua: REPLAY });
  }
  return scripted;
}

function compareOffsets(a: string, b: string): number {
  const pa = offsetParts(a) ?? [0, 0];
  const pb = offsetParts(b) ?? [0, 0];
  return pa[0] - pb[0] || pa[1] - pb[1];
}

const PIPE = 0x7c; // "|": positions never contain it, so the first one ends the position

/**
 * Connection-state recovery across nodes: packets in a Redis stream per namespace (`XADD MAXLEN ~`),
 * sessions as keys with a TTL, so a client can resume on any node. Every recoverable packet goes
 * through Redis once (stamped and published by one script) and reaches each node in stream order;
 * acks and volatile packets keep going through the adapter.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL);
 * const io = new Server(3000, {
 *   adapter: createAdapter(redis, redis.duplicate()),
 *   connectionStateRecovery: { store: createStreamsStore(redis) },
 * });
 */
export function createStreamsStore(client: RedisClient, opts: StreamsStoreOptions = {}): RecoveryStoreFactory {
  const prefix = opts.prefix ?? "roomcast";
  const listeners = new Map<string, (position: string, payload: Buffer) => void>();
  let subscriber: RedisClient | undefined;
  let open = 0;
  // An unreachable Redis shows as failed resumes and warnings, never as an unhandled error.
  if (client.listenerCount("error") === 0) client.on("error", () => {});

  const subscribe = (channel: string): Promise<void> => {
    if (subscriber === undefined) {
      const sub = client.duplicate();
      sub.on("error", () => {});
      sub.on("messageBuffer", (channelBytes: Buffer, message: Buffer) => {
        const listener = listeners.get(channelBytes.toString());
        const cut = message.indexOf(PIPE);
        if (listener !== undefined && cut > 0) listener(message.toString("latin1", 0, cut), message.subarray(cut + 1));
      });
      subscriber = sub;
    }
    const sub = subscriber;
    // SUBSCRIBE before ioredis's ready check completes breaks the check (see RedisBus); wait for it
    const ready = sub.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => sub.once("ready", () => resolve()));
    return ready.then(() => sub.subscribe(channel)).then(() => {});
  };

  return (context) => {
    open++;
    const base = `{${prefix}#${context.nsp}}`;
    const channel = `${base}#packets`;
    const store = new RedisStreamsStore(defineScripts(client), context, base, channel, () => {
      listeners.delete(channel);
      if (--open === 0 && subscriber !== undefined) {
        subscriber.disconnect();
        subscriber = undefined;
      } else {
        subscriber?.unsubscribe(channel).catch(() => {});
      }
    });
    listeners.set(channel, (position, payload) => store.receive(position, payload));
    store.ready = subscribe(channel).catch((err) => context.warn("could not subscribe to the packet channel", err));
    return store;
  };
}

/** The store of one namespace; see {@link createStreamsStore}. */
export class RedisStreamsStore implements RecoveryStore {
  readonly distributes = true;
  /** Settles once this node hears the namespace's packets. */
  ready: Promise<void> = Promise.resolve();
  /** Used only if Redis has no epoch for the namespace yet (first use, or data lost). */
  private readonly epochCandidate = randomBytes(6).toString("base64url");
  private readonly streamKey: string;
  private readonly epochKey: string;
  /** Writes in flight; `close()` waits for them (sessions written during shutdown). */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly client: ScriptClient,
    private readonly context: RecoveryStoreContext,
    private readonly base: string,
    private readonly channel: string,
    private readonly release: () => void,
  ) {
    this.streamKey = `${base}#stream`;
    this.epochKey = `${base}#epoch`;
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
    const minId = String(Math.max(0, Date.now() - this.context.maxDisconnectionDuration));
    this.track(
      this.client
        .roomcastAppend(this.streamKey, this.epochKey, this.epochCandidate, this.context.maxPackets, minId, this.channel, payload)
        .catch((err: unknown) => this.context.warn("an event could not be appended to the stream (it was not delivered)", err)),
    );
  }

  /** A packet published by any node (this one included), in stream order. */
  receive(position: string, payload: Buffer): void {
    let entry: Entry;
    try {
      entry = packr.unpack(payload) as Entry;
    } catch (err) {
      this.context.warn("a malformed stream entry was published", err);
      return;
    }
    const packet = new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position, data: entry[2] });
    this.context.deliver(packet, { rooms: new Set(entry[0]), except: new Set(entry[1]), flags: { local: true } });
  }

  head(): Promise<string> {
    return this.client.roomcastHead(this.streamKey, this.epochKey, this.epochCandidate);
  }

  persistSession(session: RecoverySession, ttl: number): Promise<void> {
    const key = `${this.base}#session#${session.pid}`;
    return this.track(this.client.set(key, packr.pack(session), "PX", ttl).then(() => {}));
  }

  async takeSession(pid: string): Promise<RecoverySession | undefined> {
    const raw = await this.client.getdelBuffer(`${this.base}#session#${pid}`);
    if (raw === null) return undefined;
    const session = packr.unpack(raw) as RecoverySession;
    return session !== null && typeof session === "object" && typeof session.sid === "string" && Array.isArray(session.rooms) ? session : undefined;
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
    for (const [id, fields] of entries) {
      const entry = packr.unpack(fields[1]) as Entry;
      if (!isTargeted(entry[0], entry[1], rooms)) continue;
      const at = formatPosition(epoch, id.toString());
      replayed.push(new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position: at, data: entry[2] }));
    }
    return replayed;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.release();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }
}
