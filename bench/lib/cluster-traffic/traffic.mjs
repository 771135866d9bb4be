import { messageSizes } from "./wire-sizes.mjs";

/**
 * What Redis and each node carry per second for a load (see load.mjs) under one way of
 * distributing broadcasts. The rules follow the code:
 *
 * - "socketio": @socket.io/redis-adapter 8 (classic). Every node PSUBSCRIBEs `socket.io#<nsp>#*`;
 *   a broadcast to one room goes on `socket.io#<nsp>#<room>#`, any other on `socket.io#<nsp>#`,
 *   so every node reads every broadcast and drops those for rooms it has nobody in. No heartbeats
 *   (serverCount asks Redis, PUBSUB NUMSUB).
 * - "roomcast": packages/core/src/cluster (channels.ts, cluster-adapter.ts). A broadcast to at
 *   most `maxRoomChannels` rooms, none of them a socket id, is published once on each room's
 *   channel, which only nodes with local members subscribe to; receivers drop the copies of a
 *   multi-room broadcast. Everything else (io.emit, to(socketId), more rooms) and heartbeats and
 *   membership changes go on the namespace channel, which every node hears.
 * - "recovery-namespace": roomcast with connection-state recovery and the Redis Streams store
 *   delivering per namespace. A recoverable broadcast is one append script (XADD, XTRIM,
 *   PUBLISH...) whose PUBLISH goes on the namespace's `#packets` channel: every node reads every
 *   recoverable broadcast. Heartbeats, changes and room subscriptions of the adapter remain.
 * - "recovery-rooms": the store with room-scoped delivery (packet-channels.ts, stream-scripts.ts):
 *   one append script per broadcast, positions still from one stream per namespace, the PUBLISH
 *   going on `{prefix#nsp}#packets#<room>#` for each target room (the adapter's routing rules),
 *   which the store's own subscriber connection subscribes to while the node has local members:
 *   room subscriptions double. The `#packets` channel keeps namespace-wide packets and carries
 *   a tick (the position alone) with the first room-scoped append of each second and every
 *   1000th; a node that starts to hear a room reads the stream head and what it missed (two
 *   scripts).
 *
 * Every message is a chat message: `socket.to(room).emit("chat", { text })`, recoverable (no ack,
 * not volatile), sent by a member of `room`.
 */
export const VARIANTS = ["socketio", "roomcast", "recovery-namespace", "recovery-rooms"];

export const VARIANT_LABELS = {
  socketio: "Socket.IO Redis adapter",
  roomcast: "roomcast",
  "recovery-namespace": "roomcast + recovery, per namespace",
  "recovery-rooms": "roomcast + recovery, room-scoped",
};

/* Commands of the append script besides its PUBLISH: EVALSHA itself, GET origin, GET epoch, XADD, XTRIM, SET origin. */
const APPEND_OTHER_COMMANDS = 6;
/* The room-scoped append also counts appends for the tick (INCR). */
const ROOM_APPEND_OTHER_COMMANDS = 7;
/* Ticks: the first room-scoped append of each window (ms), and every `TICK_EVERY`th in it (maxPackets / 10). */
const TICK_WINDOW_MS = 1000;
const TICK_EVERY = 1000;
/* A node starting to hear a room: the HEAD script (EVALSHA, GET, EXISTS, XINFO), then the read (EVALSHA, GET, EXISTS, XINFO, XRANGE, PUBLISH of its marker). */
const ROOM_CATCH_UP_COMMANDS = 10;
/* A live session write: GET fence, SET session, DEL or SET handled, SET fence (live-sessions.ts WRITE). */
const SESSION_WRITE_COMMANDS = 4;
/* Sessions per WRITE script call (live-sessions.ts BATCH). */
const SESSION_BATCH = 100;
/* Commands Redis runs per connect with the streams store (docs/RECOVERY.md: reading the head, the first write). */
const CONNECT_COMMANDS = 7;
/* ordered-publisher.ts: room channels fenced at most per change. */
const MAX_FENCE_CHANNELS = 1024;

/**
 * @param load from generateLoad
 * @param {object} r rates and settings
 * @param {number} r.messagesPerConnection chat messages per connection per second
 * @param {number} [r.roomsPerMessage=1] rooms each message goes to (of the sender's rooms)
 * @param {number} [r.globalBroadcasts=0] io.emit() to the whole namespace per second, cluster-wide
 * @param {number} [r.membershipChanges=0] server-side socketsJoin/socketsLeave per second, cluster-wide (half each)
 * @param {number} [r.heartbeatInterval=5000] ms
 * @param {number} [r.sessionMinutes=30] mean connection lifetime; each one that ends is replaced
 * @param {number} [r.sessionRefreshInterval=30000] ms between rewrites of every live session (streams store)
 * @param {boolean} [r.sharded=false] Redis Cluster with sharded pub/sub: every change is confirmed and fenced
 * @param {number} [r.maxRoomChannels=8]
 * @param {number} [r.payloadBytes=64] characters of the chat text
 * @param {string} variant one of VARIANTS
 */
export function modelTraffic(load, r, variant) {
  if (!VARIANTS.includes(variant)) throw new RangeError(`unknown variant ${variant}; one of ${VARIANTS.join(", ")}`);
  const rates = withDefaults(r, load.params.roomsPerConnection);
  const { nodes: N, rooms: R } = load.params;
  const sizes = messageSizes({ payloadBytes: rates.payloadBytes });
  const roomcastLike = variant !== "socketio";
  const recovery = variant === "recovery-namespace" || variant === "recovery-rooms";
  const allNodes = Array.from({ length: N }, (_, i) => i);

  const totals = { publishes: 0, deliveries: 0, commands: 0, bytesIn: 0, bytesOut: 0, clientFrames: 0, clientBytes: 0 };
  const perNode = {
    inbound: new Float64Array(N),
    control: new Float64Array(N),
    echoes: new Float64Array(N),
    irrelevant: new Float64Array(N),
    duplicates: new Float64Array(N),
    bytesIn: new Float64Array(N),
    subscriptions: new Float64Array(N),
  };
  const copies = new Uint16Array(N);
  /* room-scoped appends per second (recovery-rooms), for the ticks */
  let roomAppends = 0;
  /* rate at which each node published on each room channel (for the fences of sharded mode) */
  const roomChannelRate = new Float64Array(N * R);

  /** A message published on `channel` that `subscribers` read; `payload` bytes; `pattern` for PSUBSCRIBE delivery. */
  const publishOn = (rate, channel, subscribers, payload, { inScript = false, pattern } = {}) => {
    totals.publishes += rate;
    totals.commands += rate;
    if (!inScript) {
      totals.bytesIn += rate * sizes.publish(channel, payload);
      totals.bytesOut += rate * (1 + String(subscribers.length).length + 2);
    }
    const push = pattern === undefined ? sizes.push(channel, payload) : sizes.pushToPattern(pattern, channel, payload);
    totals.deliveries += rate * subscribers.length;
    totals.bytesOut += rate * subscribers.length * push;
    for (const node of subscribers) perNode.bytesIn[node] += rate * push;
  };

  /** A control message (heartbeat, change, confirmation, fence) read by `subscribers`. */
  const control = (rate, channel, subscribers, payload, inScript = false) => {
    publishOn(rate, channel, subscribers, payload, { inScript });
    for (const node of subscribers) {
      perNode.inbound[node] += rate;
      perNode.control[node] += rate;
    }
  };

  /** A chat/global broadcast from `origin` to `rooms` (empty: the whole namespace). */
  const broadcast = (rate, origin, rooms) => {
    const names = rooms.map(load.roomName);
    const roomScoped = rooms.length > 0 && rooms.length <= rates.maxRoomChannels;
    /* channels: [channel name, subscribers] */
    let channels;
    let payload;
    let pattern;
    if (variant === "socketio") {
      channels = [[rooms.length === 1 ? sizes.socketioRoomChannel(names[0]) : sizes.socketioNamespaceChannel, allNodes]];
      payload = sizes.socketioBroadcast(names);
      pattern = sizes.socketioPattern;
    } else if (variant === "recovery-namespace" || (variant === "recovery-rooms" && !roomScoped)) {
      channels = [[sizes.packetsChannel, allNodes]];
      payload = sizes.streamPayload(names);
    } else if (variant === "recovery-rooms") {
      channels = rooms.map((room, i) => [sizes.streamRoomChannel(names[i]), load.nodesWith[room]]);
      payload = sizes.streamPayload(names);
    } else if (roomScoped) {
      channels = rooms.map((room, i) => [sizes.roomChannel(names[i]), load.nodesWith[room]]);
      payload = sizes.broadcast(names, rooms.length > 1);
      for (const room of rooms) roomChannelRate[origin * R + room] += rate;
    } else {
      channels = [[sizes.namespaceChannel, allNodes]];
      payload = sizes.broadcast(names, false);
    }
    if (variant === "recovery-namespace") {
      totals.commands += rate * APPEND_OTHER_COMMANDS;
      totals.bytesIn += rate * sizes.appendCommand(channels[0][0], names);
      totals.bytesOut += rate * sizes.appendReply;
    } else if (variant === "recovery-rooms") {
      totals.commands += rate * ROOM_APPEND_OTHER_COMMANDS;
      totals.bytesIn += rate * sizes.roomAppendCommand(roomScoped ? channels.map(([name]) => name) : [], names);
      totals.bytesOut += rate * sizes.appendReply;
      if (roomScoped) roomAppends += rate;
    }
    const touched = [];
    for (const [name, subscribers] of channels) {
      publishOn(rate, name, subscribers, payload, { inScript: recovery, pattern });
      for (const node of subscribers) {
        if (copies[node]++ === 0) touched.push(node);
      }
    }
    for (const node of touched) {
      const n = copies[node];
      copies[node] = 0;
      perNode.inbound[node] += rate * n;
      // The adapter delivers locally at once and ignores its own message; the store delivers what it reads.
      if (node === origin && !recovery) perNode.echoes[node] += rate * n;
      else if (!hasMember(load, node, rooms)) perNode.irrelevant[node] += rate * n;
      else perNode.duplicates[node] += rate * (n - 1);
    }
    let recipients = rooms.length === 0 ? load.params.connections : -1;
    for (const room of rooms) recipients += load.memberTotal[room];
    totals.clientFrames += rate * recipients;
    totals.clientBytes += rate * recipients * (recovery ? sizes.clientEventAt : sizes.clientEvent);
  };

  // Chat messages, aggregated per origin node and target rooms.
  for (const flow of chatFlows(load, rates).values()) broadcast(flow.rate, flow.origin, flow.rooms);
  // io.emit() from a node chosen at random.
  if (rates.globalBroadcasts > 0) for (const origin of allNodes) broadcast(rates.globalBroadcasts / N, origin, []);

  if (roomcastLike) {
    // Heartbeats: every node, every heartbeatInterval, on the namespace channel.
    for (let origin = 0; origin < N; origin++) control(1000 / rates.heartbeatInterval, sizes.namespaceChannel, allNodes, sizes.heartbeat);
  }

  if (roomAppends > 0) {
    // A window opens with the first append after the previous one closed: one tick each, plus every TICK_EVERY-th append in it.
    const window = TICK_WINDOW_MS / 1000;
    const windows = 1 / (window + 1 / roomAppends);
    const ticks = windows * (1 + Math.floor((1 + roomAppends * window) / TICK_EVERY));
    control(ticks, sizes.packetsChannel, allNodes, sizes.tick, true);
    totals.commands += windows; // PEXPIRE of the counter, once per window
  }
  if (rates.membershipChanges > 0) membershipChanges(load, rates, variant, sizes, allNodes, roomChannelRate, control, totals, perNode);

  // Subscriptions: what each node holds, and how often room subscriptions come and go.
  let singletons = 0;
  let roomsUsed = 0;
  for (let room = 0; room < R; room++) if (load.nodesWith[room].length > 0) roomsUsed++;
  for (let node = 0; node < N; node++) {
    let localRooms = 0;
    for (let room = 0; room < R; room++) {
      const m = load.members[node * R + room];
      if (m > 0) localRooms++;
      if (m === 1) singletons++;
    }
    perNode.subscriptions[node] =
      variant === "socketio" ? 4 : 2 + localRooms + (variant === "recovery-namespace" ? 2 : variant === "recovery-rooms" ? 2 + localRooms : 0);
  }
  const churn = 1 / (60 * rates.sessionMinutes);
  let channels;
  let subscriptionChanges = 0;
  if (variant === "socketio") {
    channels = 2 + N + 1; // request, response, one specific response per node, and the pattern
  } else {
    channels = 1 + N + roomsUsed + (variant === "recovery-namespace" ? 1 + N : variant === "recovery-rooms" ? 1 + N + roomsUsed : 0);
    // The last local member leaving unsubscribes, the first one arriving subscribes again.
    subscriptionChanges = 2 * churn * singletons * (variant === "recovery-rooms" ? 2 : 1);
  }
  totals.commands += subscriptionChanges;
  if (variant === "recovery-rooms") {
    // each room the store starts to hear: its head and what it missed, then a marker to the node's notice channel
    const catchUps = churn * singletons;
    totals.commands += catchUps * ROOM_CATCH_UP_COMMANDS;
    totals.publishes += catchUps;
    totals.deliveries += catchUps;
  }

  let sessionCommands = 0;
  if (recovery) {
    const C = load.params.connections;
    const writes = churn * C /* the session kept at disconnect */ + (C * 1000) / rates.sessionRefreshInterval;
    sessionCommands = churn * C * CONNECT_COMMANDS + writes * SESSION_WRITE_COMMANDS + writes / SESSION_BATCH;
    totals.commands += sessionCommands;
  }

  const sum = (array) => array.reduce((a, b) => a + b, 0);
  const inboundTotal = sum(perNode.inbound);
  return {
    variant,
    ...totals,
    sessionCommands,
    subscriptionChanges,
    channels,
    subscriptions: sum(perNode.subscriptions),
    perNode,
    inboundMean: inboundTotal / N,
    inboundMax: Math.max(...perNode.inbound),
    controlMean: sum(perNode.control) / N,
    irrelevantShare: inboundTotal === 0 ? 0 : sum(perNode.irrelevant) / inboundTotal,
    echoShare: inboundTotal === 0 ? 0 : sum(perNode.echoes) / inboundTotal,
    duplicateShare: inboundTotal === 0 ? 0 : sum(perNode.duplicates) / inboundTotal,
    subscriptionsMean: sum(perNode.subscriptions) / N,
    nodeBytesInMean: sum(perNode.bytesIn) / N,
  };
}

function withDefaults(r, roomsPerConnection) {
  const rates = {
    roomsPerMessage: 1,
    globalBroadcasts: 0,
    membershipChanges: 0,
    heartbeatInterval: 5000,
    sessionMinutes: 30,
    sessionRefreshInterval: 30_000,
    sharded: false,
    maxRoomChannels: 8,
    payloadBytes: 64,
    ...r,
  };
  if (!(rates.messagesPerConnection >= 0)) throw new RangeError(`messagesPerConnection must be >= 0, got ${rates.messagesPerConnection}`);
  if (!Number.isInteger(rates.roomsPerMessage) || rates.roomsPerMessage < 1 || rates.roomsPerMessage > roomsPerConnection) {
    throw new RangeError(`roomsPerMessage must be an integer from 1 to roomsPerConnection (${roomsPerConnection}), got ${rates.roomsPerMessage}`);
  }
  return rates;
}

function hasMember(load, node, rooms) {
  if (rooms.length === 0) return load.perNode[node] > 0;
  const R = load.params.rooms;
  for (const room of rooms) if (load.members[node * R + room] > 0) return true;
  return false;
}

/** Each connection spreads its rate evenly over the subsets of `roomsPerMessage` of its rooms. */
function chatFlows(load, rates) {
  const flows = new Map();
  const t = rates.roomsPerMessage;
  for (const { node, rooms } of load.connections) {
    const subsets = combinations(rooms, t);
    const rate = rates.messagesPerConnection / subsets.length;
    for (const subset of subsets) {
      const sorted = [...subset].sort((a, b) => a - b);
      const key = `${node}|${sorted.join(",")}`;
      const flow = flows.get(key);
      if (flow) flow.rate += rate;
      else flows.set(key, { origin: node, rooms: sorted, rate });
    }
  }
  return flows;
}

function combinations(items, k) {
  if (k === 1) return items.map((item) => [item]);
  const out = [];
  const pick = (start, chosen) => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i < items.length; i++) {
      chosen.push(items[i]);
      pick(i + 1, chosen);
      chosen.pop();
    }
  };
  pick(0, []);
  return out;
}

/**
 * Server-side membership changes (`io.in(socketId).socketsJoin(room)` / `socketsLeave`), made on a
 * node chosen at random for a room chosen by popularity. roomcast: the change on the namespace
 * channel; a CHANGE_APPLIED from every other node when it holds (joins on one Redis server, every
 * change on a Redis Cluster); on a Redis Cluster also a FENCE on each room channel the origin
 * published on since its previous change. Socket.IO: one request every node reads.
 */
function membershipChanges(load, rates, variant, sizes, allNodes, roomChannelRate, control, totals, perNode) {
  const { nodes: N, rooms: R } = load.params;
  const chi = rates.membershipChanges;
  if (variant === "socketio") {
    control(chi, sizes.socketioRequestChannel, allNodes, sizes.socketioRemoteJoin);
    return;
  }
  const confirmed = rates.sharded ? chi : chi / 2;
  let fencesPerChange = 0;
  let fenceDeliveriesPerChange = 0;
  /* fences each node reads per change */
  const fencesRead = new Float64Array(N);
  if (rates.sharded) {
    // Poisson: room channel r is dirty at a change of origin o when o published there since its previous change.
    const gap = N / chi;
    for (let origin = 0; origin < N; origin++) {
      for (let room = 0; room < R; room++) {
        const rate = roomChannelRate[origin * R + room];
        if (rate === 0) continue;
        const dirty = 1 - Math.exp(-rate * gap);
        fencesPerChange += dirty / N;
        fenceDeliveriesPerChange += (dirty * load.nodesWith[room].length) / N;
        for (const node of load.nodesWith[room]) fencesRead[node] += dirty / N;
      }
    }
    const scale = fencesPerChange > MAX_FENCE_CHANNELS ? MAX_FENCE_CHANNELS / fencesPerChange : 1;
    fencesPerChange *= scale;
    fenceDeliveriesPerChange *= scale;
    for (let node = 0; node < N; node++) fencesRead[node] *= scale;
  }
  const channelName = sizes.roomChannel("room-123");
  control(chi, sizes.namespaceChannel, allNodes, sizes.change("room-123", Array(Math.round(fencesPerChange)).fill(channelName)));
  // Each confirmation goes to the origin alone: spread over the nodes as origins are.
  const perOrigin = (confirmed * (N - 1)) / N;
  for (const node of allNodes) control(perOrigin, sizes.responseChannel, [node], sizes.changeApplied);
  if (fencesPerChange > 0) {
    totals.publishes += chi * fencesPerChange;
    totals.commands += chi * fencesPerChange;
    totals.deliveries += chi * fenceDeliveriesPerChange;
    totals.bytesIn += chi * fencesPerChange * sizes.publish(channelName, sizes.fence);
    totals.bytesOut += chi * fenceDeliveriesPerChange * sizes.push(channelName, sizes.fence);
    const push = sizes.push(channelName, sizes.fence);
    for (let node = 0; node < N; node++) {
      perNode.inbound[node] += chi * fencesRead[node];
      perNode.control[node] += chi * fencesRead[node];
      perNode.bytesIn[node] += chi * fencesRead[node] * push;
    }
  }
  if (variant !== "roomcast") totals.commands += chi * SESSION_WRITE_COMMANDS;
}
