import type { LiveSession, LiveSessionStore, RecoverySession } from "@roomcast/core";
import type { RedisClient } from "./redis-client.js";

/*
 * A session is three keys of one namespace (one hash tag, so Redis Cluster keeps them on one
 * shard): the session record, the window of emits with an id it ran (`handled`, kept apart by the
 * store), and its fence, "<generation>:<owner>". Every write names the generation its writer
 * holds and is refused when the fence holds a newer one: a node that resumed the session (claim)
 * raised it, so the node the session came from can no longer overwrite it, even much later (a
 * partition that heals, a socket closing after a timeout).
 *
 * WRITE stores a batch. KEYS: per session [session, handled, fence]. ARGV: owner, then per session
 * [generation, ttl (ms), session bytes ("" removes the session and leaves the fence as a
 * tombstone), handled bytes ("" for none)]. Returns per session 0 (written) or the newer
 * generation that refused it.
 */
const WRITE = `
local owner = ARGV[1]
local out = {}
for i = 0, #KEYS / 3 - 1 do
  local skey, hkey, fkey = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
  local gen, ttl, session, handled = tonumber(ARGV[4 * i + 2]), ARGV[4 * i + 3], ARGV[4 * i + 4], ARGV[4 * i + 5]
  local fence = redis.call('GET', fkey)
  local current = fence and tonumber(string.match(fence, '^%d+')) or 0
  if current > gen then
    out[i + 1] = current
  else
    if session == '' then
      redis.call('DEL', skey, hkey)
    else
      redis.call('SET', skey, session, 'PX', ttl)
      if handled == '' then redis.call('DEL', hkey) else redis.call('SET', hkey, handled, 'PX', ttl) end
    end
    redis.call('SET', fkey, gen .. ':' .. owner, 'PX', ttl)
    out[i + 1] = 0
  end
end
return out`;

/*
 * CLAIM takes a session for a resume on this node without removing it (a crash before the new
 * socket is written must not lose it): the generation goes up, the owner becomes ARGV[1], the TTL
 * ARGV[2]. The previous owner, when another node, hears it on ARGV[3] .. owner so it closes its
 * stale socket at once. KEYS: session, handled, fence. Returns false, or
 * [generation, session bytes, handled bytes or "", previous owner or ""].
 */
const CLAIM = `
local session = redis.call('GET', KEYS[1])
if not session then return false end
local fence = redis.call('GET', KEYS[3])
local gen, previous = 0, ''
if fence then
  local g, o = string.match(fence, '^(%d+):(.*)$')
  gen, previous = tonumber(g) or 0, o or ''
end
gen = gen + 1
redis.call('SET', KEYS[3], gen .. ':' .. ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if previous ~= '' and previous ~= ARGV[1] then redis.call('PUBLISH', ARGV[3] .. previous, gen .. '|' .. KEYS[1]) end
return {gen, session, redis.call('GET', KEYS[2]) or '', previous}`;

type LiveScriptClient = RedisClient & {
  roomcastWriteSessions(...args: (string | number | Buffer)[]): Promise<number[]>;
  roomcastClaimSessionBuffer(sessionKey: string, handledKey: string, fenceKey: string, owner: string, ttl: number, noticePrefix: string): Promise<[number, Buffer, Buffer, Buffer] | null>;
};

/** The session record as the store lays it out: the session bytes, and the handled window's ("" for none). */
export type EncodedSession = [session: Buffer, handled: Buffer | ""];

/** A session claimed for a resume: its generation and its bytes as stored. */
export interface ClaimedSession {
  generation: number;
  session: Buffer;
  /** Empty when the session ran no emit with an id. */
  handled: Buffer;
}

/** Timings of live sessions, in ms. */
export interface LiveSessionTimings {
  /** Wait after a change before writing; 0 writes on the next turn of the event loop. */
  flushDelay: number;
  /** Every live session is written again this often: its TTL renewed, `socket.data` captured. */
  refreshInterval: number;
  /** The namespace's `maxDisconnectionDuration`: how long a session outlives its last write. */
  maxDisconnectionDuration: number;
}

/** Sessions per WRITE call: a few KB of arguments each, so one call never blocks Redis for long. */
const BATCH = 100;
/* retries of a failed write back off to at most this (ms); Redis is unreachable meanwhile */
const MAX_BACKOFF_MS = 1000;

interface Tracked {
  readonly live: LiveSession;
  readonly generation: number;
  /** `written` callbacks of changes no write has covered yet. */
  waiting: (() => void)[] | undefined;
  /** Set once the store forgot it: a failed write in flight then releases its callbacks. */
  gone: boolean;
}

interface Write {
  readonly pid: string;
  readonly generation: number;
  readonly ttl: number;
  readonly bytes: EncodedSession | undefined;
}

function defineLiveScripts(client: RedisClient): LiveScriptClient {
  const scripted = client as LiveScriptClient;
  if (typeof scripted.roomcastWriteSessions !== "function") {
    // KEYS vary per call: the key count is the first argument
    client.defineCommand("roomcastWriteSessions", { lua: WRITE });
    client.defineCommand("roomcastClaimSession", { numberOfKeys: 3, lua: CLAIM });
  }
  return scripted;
}

function releaseAll(callbacks: (() => void)[] | undefined): void {
  if (callbacks !== undefined) for (const written of callbacks) written();
}

/**
 * The live sessions of one namespace on this node, kept in Redis while their sockets are
 * connected: written when a socket arrives, again after each change (batched: every change of
 * one flush goes out in one script call per {@link BATCH} sessions), and every `refreshInterval`
 * so a live session never expires. A resume elsewhere claims the session and fences this node
 * off. What this node cannot write (Redis unreachable) stays dirty and is retried, and every
 * session is written again once the connection comes back (Redis may have lost them).
 */
export class LiveSessions implements LiveSessionStore {
  private readonly client: LiveScriptClient;
  private readonly tracked = new Map<string, Tracked>();
  private readonly claims = new Map<string, { generation: number; at: number }>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly refreshTimer: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  /** Writes in flight; `close()` waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    client: RedisClient,
    private readonly base: string,
    /** This node's id, written as the owner of its sessions. */
    private readonly owner: string,
    /** Channel prefix on which an owner hears that another node claimed one of its sessions. */
    private readonly noticePrefix: string,
    private readonly timings: LiveSessionTimings,
    private readonly encode: (session: RecoverySession) => EncodedSession,
    private readonly warn: (message: string, error?: unknown) => void,
  ) {
    this.client = defineLiveScripts(client);
    this.refreshTimer = setInterval(() => this.refresh(), timings.refreshInterval);
    this.refreshTimer.unref();
  }

  /** Sessions kept live on this node now. */
  get size(): number {
    return this.tracked.size;
  }

  /** Sessions with a change not written yet. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  /* a live session outlives its last write by maxDisconnectionDuration at least */
  private get liveTtl(): number {
    return this.timings.maxDisconnectionDuration + this.timings.refreshInterval;
  }

  track(live: LiveSession, resumed: RecoverySession | undefined): void {
    if (this.closed) return;
    const claim = this.claims.get(live.pid);
    this.claims.delete(live.pid);
    // a fresh session is generation 1; a resumed one has the generation its claim set
    const generation = resumed !== undefined && claim !== undefined ? claim.generation : 1;
    this.tracked.set(live.pid, { live, generation, waiting: undefined, gone: false });
    // a resumed session is stored as it was restored; a fresh one is written now
    if (resumed === undefined || claim === undefined) this.markDirty(live.pid);
  }

  changed(pid: string, written: () => void): void {
    const tracked = this.tracked.get(pid);
    if (tracked === undefined) {
      written();
      return;
    }
    (tracked.waiting ??= []).push(written);
    this.markDirty(pid);
  }

  /** Ends a live session as a dropped one (the socket closed): stored with a TTL of `ttl` ms. */
  keep(session: RecoverySession, ttl: number): Promise<void> {
    const generation = this.forget(session.pid);
    let bytes: EncodedSession;
    try {
      bytes = this.encode(session);
    } catch (err) {
      this.warn(`the session of ${session.sid} could not be encoded; it is not kept`, err);
      return this.send([{ pid: session.pid, generation, ttl: 2 * this.timings.maxDisconnectionDuration, bytes: undefined }]).then(() => {});
    }
    // generation 0 (neither live nor claimed here) only writes where no fence exists
    return this.send([{ pid: session.pid, generation, ttl, bytes }]).then(() => {});
  }

  discard(pid: string): Promise<void> | void {
    const tracked = this.tracked.has(pid);
    const claimed = this.claims.has(pid);
    const generation = this.forget(pid);
    if (!tracked && !claimed) return;
    // the fence outlives the session: a stale writer must not bring it back within its lifetime
    return this.send([{ pid, generation, ttl: 2 * this.timings.maxDisconnectionDuration, bytes: undefined }]).then(() => {});
  }

  /**
   * Takes the session of `pid` for a resume on this node (see CLAIM). A socket of this node that
   * still holds it (its client came back before this node noticed the drop) is closed first.
   */
  async claim(pid: string): Promise<ClaimedSession | undefined> {
    const reply = await this.client.roomcastClaimSessionBuffer(this.sessionKey(pid), this.handledKey(pid), this.fenceKey(pid), this.owner, this.liveTtl, this.noticePrefix);
    if (reply === null) return undefined;
    const [generation, session, handled, previous] = reply;
    if (previous.toString() === this.owner) this.takenOver(pid, generation);
    this.claims.set(pid, { generation, at: Date.now() });
    return { generation, session, handled };
  }

  /** Another node claimed `pid` with `generation`: a socket here that still holds it is stale. */
  takenOver(pid: string, generation: number): void {
    const tracked = this.tracked.get(pid);
    if (tracked === undefined || tracked.generation >= generation) return;
    this.forget(pid);
    tracked.live.takenOver();
  }

  /** The Redis connection came back: Redis may have restarted without its data, so every session is written again. */
  reconnected(): void {
    for (const pid of this.tracked.keys()) this.markDirty(pid);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.cancelFlush();
    for (const pid of [...this.tracked.keys()]) this.forget(pid);
    this.claims.clear();
    this.dirty.clear();
    await Promise.allSettled([...this.pending]);
  }

  /** Stops keeping `pid` (its callbacks run); returns the generation it was held with (0: none). */
  private forget(pid: string): number {
    const tracked = this.tracked.get(pid);
    if (tracked !== undefined) {
      this.tracked.delete(pid);
      this.dirty.delete(pid);
      tracked.gone = true;
      const waiting = tracked.waiting;
      tracked.waiting = undefined;
      releaseAll(waiting);
      return tracked.generation;
    }
    const claim = this.claims.get(pid);
    this.claims.delete(pid);
    return claim?.generation ?? 0;
  }

  private markDirty(pid: string): void {
    this.dirty.add(pid);
    if (this.flushTimer !== undefined || this.closed) return;
    const delay = this.failures > 0 ? Math.min(MAX_BACKOFF_MS, 25 * 2 ** this.failures) : this.timings.flushDelay;
    this.flushTimer = delay > 0 ? setTimeout(() => this.flush(), delay) : setImmediate(() => this.flush());
  }

  private cancelFlush(): void {
    const timer = this.flushTimer;
    if (timer === undefined) return;
    this.flushTimer = undefined;
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  }

  /** Writes every dirty session, reading each one now (so `socket.data` is captured now). */
  private flush(): void {
    this.flushTimer = undefined;
    if (this.dirty.size === 0) return;
    const pids = [...this.dirty];
    this.dirty.clear();
    const ttl = this.liveTtl;
    for (let start = 0; start < pids.length; start += BATCH) {
      const writes: Write[] = [];
      const entries: { tracked: Tracked; waiting: (() => void)[] | undefined }[] = [];
      for (const pid of pids.slice(start, start + BATCH)) {
        const tracked = this.tracked.get(pid);
        if (tracked === undefined) continue;
        let bytes: EncodedSession;
        try {
          bytes = this.encode(tracked.live.read());
        } catch (err) {
          this.unencodable(pid, tracked, err);
          continue;
        }
        writes.push({ pid, generation: tracked.generation, ttl, bytes });
        entries.push({ tracked, waiting: tracked.waiting });
        tracked.waiting = undefined;
      }
      if (writes.length === 0) continue;
      this.send(writes).then(
        (results) => {
          this.failures = 0;
          results.forEach((result, i) => {
            const { tracked, waiting } = entries[i];
            if (result !== 0 && !tracked.gone) {
              // another node resumed it meanwhile: this socket is stale
              this.forget(tracked.live.pid);
              tracked.live.takenOver();
            }
            releaseAll(waiting);
          });
        },
        (err: unknown) => {
          if (this.failures++ === 0) this.warn(`could not write ${writes.length} live session(s); retrying until Redis answers`, err);
          for (const { tracked, waiting } of entries) {
            if (tracked.gone || this.closed) {
              releaseAll(waiting);
              continue;
            }
            // still unwritten: the output they hold keeps waiting
            if (waiting !== undefined) tracked.waiting = tracked.waiting === undefined ? waiting : [...waiting, ...tracked.waiting];
            this.markDirty(tracked.live.pid);
          }
        },
      );
    }
  }

  /** `socket.data` that msgpack cannot encode: the session cannot be kept, so none is (resume gives a fresh session). */
  private unencodable(pid: string, tracked: Tracked, err: unknown): void {
    this.warn(`the session ${pid} could not be encoded (socket.data must be plain data); it is no longer kept`, err);
    const generation = tracked.generation;
    this.forget(pid);
    void this.send([{ pid, generation, ttl: 2 * this.timings.maxDisconnectionDuration, bytes: undefined }]).catch(() => {});
  }

  private refresh(): void {
    const now = Date.now();
    // a claim whose resume neither completed nor ended (a refused middleware) lives as long as its session would
    for (const [pid, claim] of this.claims) if (now - claim.at > this.timings.maxDisconnectionDuration) this.claims.delete(pid);
    for (const pid of this.tracked.keys()) this.markDirty(pid);
  }

  /** One WRITE call; tracked for `close()`. */
  private send(writes: Write[]): Promise<number[]> {
    const keys: string[] = [];
    const args: (string | number | Buffer)[] = [this.owner];
    for (const write of writes) {
      keys.push(this.sessionKey(write.pid), this.handledKey(write.pid), this.fenceKey(write.pid));
      args.push(write.generation, write.ttl, write.bytes?.[0] ?? "", write.bytes?.[1] ?? "");
    }
    const promise = this.client.roomcastWriteSessions(keys.length, ...keys, ...args);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }

  private sessionKey(pid: string): string {
    return `${this.base}#session#${pid}`;
  }

  private handledKey(pid: string): string {
    return `${this.base}#handled#${pid}`;
  }

  private fenceKey(pid: string): string {
    return `${this.base}#fence#${pid}`;
  }
}
