import type { RedisClient } from "./redis-client.js";
import type { StreamRead } from "./stream-follower.js";

/*
 * The Lua scripts of the streams store. Every key of a namespace shares one hash tag
 * (`{<prefix>#<nsp>}`), so each script runs on one shard of a Redis Cluster. Channels are not
 * keys: the classic PUBLISHes below may name any channel, on a Redis Cluster too.
 */

/*
 * Stamping and fan-out are one atomic step: the stream id XADD assigns is published with the
 * packet, so the nodes hear packets in stream order and positions only grow for every client.
 * The packet goes out on the channel of each room in ARGV[10..] (only nodes with members there
 * hear it), or on the namespace channel ARGV[4] when there are none. A room-scoped append also
 * publishes its position alone on the namespace channel now and then (the first append of each
 * ARGV[9] ms window, and every ARGV[8]th one, counted in KEYS[4]): a tick that keeps the cursor of
 * a node hearing none of these rooms close to the stream's head.
 *
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
local position = epoch .. ':' .. id
local message = position .. '|' .. ARGV[5]
if #ARGV < 10 then
  redis.call('PUBLISH', ARGV[4], message)
else
  for i = 10, #ARGV do redis.call('PUBLISH', ARGV[i], message) end
  local n = redis.call('INCR', KEYS[4])
  if n == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[9]) end
  if n == 1 or n % tonumber(ARGV[8]) == 0 then redis.call('PUBLISH', ARGV[4], position .. '|') end
end
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
return position`;

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
 * the first id kept, how many entries trimming removed, and the entries after ARGV[1]. Then a
 * marker "sync|<namespace channel ARGV[3]>|<epoch>:<last id>" on the reading node's notice channel
 * ARGV[2]: once it comes through that node's subscriber connection, every packet published on
 * its channels before this read has come through too.
 */
const REPLAY = `
local epoch = redis.call('GET', KEYS[2])
local reply
if not epoch or redis.call('EXISTS', KEYS[1]) == 0 then
  reply = {epoch or false, '0-0', '0-0', '0-0', 0, {}}
else
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
  reply = {epoch, deleted, last, first, added - length, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')}
end
if epoch then redis.call('PUBLISH', ARGV[2], 'sync|' .. ARGV[3] .. '|' .. epoch .. ':' .. reply[3]) end
return reply`;

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

/** The store's scripts, as methods of its client (EVALSHA with a fallback to EVAL). */
export type ScriptClient = RedisClient & {
  roomcastAppend(
    stream: string,
    epochKey: string,
    originKey: string,
    tickKey: string,
    epoch: string,
    maxLen: number,
    minId: string,
    namespaceChannel: string,
    payload: Buffer,
    seq: number,
    originTtl: number,
    tickEvery: number,
    tickWindow: number,
    ...roomChannels: string[]
  ): Promise<string | null>;
  roomcastHead(stream: string, epochKey: string, epoch: string): Promise<string>;
  roomcastReplayBuffer(stream: string, epochKey: string, after: string, noticeChannel: string, namespaceChannel: string): Promise<StreamRead>;
  roomcastKeepHandled(sessionKey: string, handledKey: string, handled: Buffer): Promise<number>;
};

/** Defines the scripts once per client. */
export function defineScripts(client: RedisClient): ScriptClient {
  const scripted = client as ScriptClient;
  if (typeof scripted.roomcastAppend !== "function") {
    client.defineCommand("roomcastAppend", { numberOfKeys: 4, lua: APPEND });
    client.defineCommand("roomcastHead", { numberOfKeys: 2, lua: HEAD });
    client.defineCommand("roomcastReplay", { numberOfKeys: 2, lua: REPLAY });
    client.defineCommand("roomcastKeepHandled", { numberOfKeys: 2, lua: KEEP_HANDLED });
  }
  return scripted;
}
