/**
 * Byte sizes of what the cluster puts on Redis and on the clients' WebSockets, computed from the
 * message shapes rather than measured, so the model runs without Redis and without dependencies.
 *
 * - Inter-node messages: MessagePack of the objects in packages/core/src/cluster/messages.ts and of
 *   the streams store's entries (msgpackr, no records: map16 headers) and, for Socket.IO, of
 *   `[uid, packet, opts]` (notepack.io: smallest forms throughout).
 * - Redis: RESP2 framing of PUBLISH / EVALSHA commands and of the `message` / `pmessage` pushes a
 *   subscriber reads.
 * - Clients: the JSON frames of docs/PROTOCOL.md, `[4, nsp, event, ...args]` and, with
 *   connection-state recovery, `[8, nsp, position, event, ...args]`.
 */

const utf8 = (text) => Buffer.byteLength(text, "utf8");

/**
 * Bytes of `value` as MessagePack: the smallest form of each string, number, array and bin. Maps
 * too, except with `map16`: msgpackr (without `variableMapSize`, as roomcast uses it) writes every
 * map with a 3-byte map16 header so that it can fill in the count afterwards.
 */
export function msgpackSize(value, map16 = false) {
  if (value === null || value === undefined || typeof value === "boolean") return value === undefined ? 3 : 1;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return 9;
    if (value >= 0) return value < 128 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : value < 0x100000000 ? 5 : 9;
    return value >= -32 ? 1 : value >= -128 ? 2 : value >= -32768 ? 3 : value >= -2147483648 ? 5 : 9;
  }
  if (typeof value === "string") {
    const length = utf8(value);
    return length + (length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5);
  }
  if (value instanceof Uint8Array) {
    const length = value.byteLength;
    return length + (length < 0x100 ? 2 : length < 0x10000 ? 3 : 5);
  }
  if (Array.isArray(value)) {
    let size = value.length < 16 ? 1 : value.length < 0x10000 ? 3 : 5;
    for (const item of value) size += msgpackSize(item, map16);
    return size;
  }
  const entries = Object.entries(value);
  let size = entries.length < 16 && !map16 ? 1 : entries.length < 0x10000 ? 3 : 5;
  for (const [key, item] of entries) size += msgpackSize(key, map16) + msgpackSize(item, map16);
  return size;
}

const digits = (n) => String(n).length;
/** A RESP bulk string of `length` bytes: `$<length>\r\n<bytes>\r\n`. */
const bulk = (length) => 1 + digits(length) + 2 + length + 2;
/** A RESP array of bulk strings with these byte lengths (a command, or a pub/sub push). */
export const respArraySize = (lengths) => 1 + digits(lengths.length) + 2 + lengths.reduce((sum, length) => sum + bulk(length), 0);
/** An integer reply, e.g. PUBLISH's receiver count. */
export const respIntegerSize = (n) => 1 + digits(n) + 2;

/** Identifier lengths as the code makes them. */
export const ID_LENGTHS = {
  /** ClusterAdapter.uid: 9 random bytes, base64url. */
  roomcastUid: 12,
  /** roomcast socket ids: 12 random bytes, base64url. */
  roomcastSocketId: 16,
  /** @socket.io/redis-adapter uid: uid2(6). */
  socketioUid: 6,
  /** Socket.IO socket ids (base64id). */
  socketioSocketId: 20,
  /** Streams store epoch candidate: 6 random bytes base64url plus a base-36 serial. */
  streamEpoch: 9,
  /** A Redis stream id such as 1700000000000-0. */
  streamId: 15,
};

const fill = (length) => "x".repeat(length);

/** Sizes of every message the model counts, for one namespace `nsp` and an event payload. */
export function messageSizes({ nsp = "/", event = "chat", payloadBytes = 64, prefix = "roomcast", socketioPrefix = "socket.io" } = {}) {
  const args = [{ text: fill(payloadBytes) }];
  const uid = fill(ID_LENGTHS.roomcastUid);
  const sid = fill(ID_LENGTHS.roomcastSocketId);
  const position = `${fill(ID_LENGTHS.streamEpoch)}:${fill(ID_LENGTHS.streamId)}`;
  const namespaceChannel = `${prefix}#${nsp}#`;
  const storeBase = `{${prefix}#${nsp}}`;
  const roomChannel = (room) => `${namespaceChannel}${room}#`;
  /** The stream's own channel of a room (room-scoped recovery; the name is this model's assumption). */
  const streamRoomChannel = (room) => `${storeBase}#packets#${room}#`;
  const responseChannel = `${prefix}-response#${nsp}#${uid}#`;
  const publish = (channel, payload) => respArraySize([7, utf8(channel), payload]);
  const push = (channel, payload) => respArraySize([7, utf8(channel), payload]);
  const pushToPattern = (pattern, channel, payload) => respArraySize([8, utf8(pattern), utf8(channel), payload]);

  /** ClusterAdapter BROADCAST of `socket.to(rooms).emit(event, ...args)` (except: the sender). */
  const roomcastSize = (message) => msgpackSize(message, true);
  const broadcast = (rooms, withMid) =>
    roomcastSize({
      type: 3,
      uid,
      nsp,
      opts: rooms.length === 0 ? { rooms: [], flags: {} } : { rooms, except: [sid], flags: {} },
      packet: { type: 4, nsp, data: [event, ...args] },
      ...(withMid ? { mid: "1234" } : {}),
    });
  /** A streams store entry: msgpack [rooms, except, [event, ...args]]. */
  const streamEntry = (rooms) => msgpackSize([rooms, rooms.length === 0 ? [] : [sid], [event, ...args]], true);
  /** What the append script publishes: "<epoch>:<id>|" and the entry. */
  const streamPayload = (rooms) => utf8(position) + 1 + streamEntry(rooms);
  /**
   * EVALSHA of the append script: 3 keys, then the epoch candidate, MAXLEN (10000), MINID (a time
   * in ms), the channel, the entry, the node's sequence number (3 digits here) and the origin TTL.
   */
  const appendCommand = (channel, rooms) =>
    respArraySize([7, 40, 1, utf8(`${storeBase}#stream`), utf8(`${storeBase}#epoch`), utf8(`${storeBase}#origin#${uid}`), ID_LENGTHS.streamEpoch, 5, 13, utf8(channel), streamEntry(rooms), 3, 6]);
  /**
   * The room-scoped append (stream-scripts.ts): a fourth key (the tick counter), the namespace
   * channel, the tick settings (every 1000th append, 1000 ms window), then one argument per room channel.
   */
  const roomAppendCommand = (roomChannels, rooms) =>
    respArraySize([
      7, 40, 1, utf8(`${storeBase}#stream`), utf8(`${storeBase}#epoch`), utf8(`${storeBase}#origin#${uid}`), utf8(`${storeBase}#tick`),
      ID_LENGTHS.streamEpoch, 5, 13, utf8(`${storeBase}#packets`), streamEntry(rooms), 3, 6, 4, 4, ...roomChannels.map(utf8),
    ]);

  const socketioChannel = `${socketioPrefix}#${nsp}#`;
  const socketioBroadcast = (rooms) =>
    msgpackSize([
      fill(ID_LENGTHS.socketioUid),
      { type: 2, data: [event, ...args], nsp },
      { rooms, except: rooms.length === 0 ? [] : [fill(ID_LENGTHS.socketioSocketId)], flags: {} },
    ]);

  return {
    namespaceChannel,
    roomChannel,
    streamRoomChannel,
    responseChannel,
    packetsChannel: `${storeBase}#packets`,
    socketioPattern: `${socketioChannel}*`,
    socketioRoomChannel: (room) => `${socketioChannel}${room}#`,
    socketioNamespaceChannel: socketioChannel,
    socketioRequestChannel: `${socketioPrefix}-request#${nsp}#`,
    publish,
    push,
    pushToPattern,
    broadcast,
    streamEntry,
    streamPayload,
    appendCommand,
    roomAppendCommand,
    /** A tick: the stream's position alone, "<epoch>:<id>|", on the namespace's packets channel. */
    tick: utf8(position) + 1,
    /** The append script answers with the entry's whole position, "<epoch>:<id>". */
    appendReply: bulk(utf8(position)),
    socketioBroadcast,
    heartbeat: roomcastSize({ type: 1, uid, nsp }),
    /** `io.in(socketId).socketsJoin(room)` with its ordering fields; `fences` names the fenced channels. */
    change: (room, fences = []) =>
      roomcastSize({ type: 7, uid, nsp, opts: { rooms: [sid], flags: {} }, rooms: [room], changeId: "12", confirm: 1, ...(fences.length > 0 ? { fences } : {}) }),
    changeApplied: roomcastSize({ type: 15, uid, nsp, requestId: "12" }),
    fence: roomcastSize({ type: 14, uid, nsp, changeId: "12" }),
    socketioRemoteJoin: msgpackSize({ uid: fill(ID_LENGTHS.socketioUid), type: 2, opts: { rooms: [fill(20)], except: [] }, rooms: ["room-123"] }),
    /** JSON frames of docs/PROTOCOL.md section 2 and 4. */
    clientEvent: utf8(JSON.stringify([4, nsp, event, ...args])),
    clientEventAt: utf8(JSON.stringify([8, nsp, position, event, ...args])),
  };
}
