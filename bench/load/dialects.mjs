/**
 * How a load client speaks each system's wire protocol over a bare `ws` WebSocket. Using raw
 * frames for every system keeps the client side equally light (no client library's emitter,
 * reconnection or parser in the measurement) and puts all the cost difference on the servers.
 *
 * Each dialect classifies an incoming frame by its first bytes (cheap), answers heartbeats, and
 * knows how to build an ack request and read an event payload or an ack reply.
 */

const LBRACKET = 0x5b; // [
const QUOTE = 0x22; // "
const D0 = 0x30; // '0'
const R = 0x72; // r

/** Frame kinds a client cares about. REQUEST: an event from the server that wants an ack. */
export const Kind = { OTHER: 0, READY: 1, EVENT: 2, ACK: 3, PING: 4, OPEN: 5, REQUEST: 6 };

/** The decimal id starting at `offset` of a frame (a Buffer). */
function idAt(data, offset) {
  let id = 0;
  for (let i = offset; i < data.length; i++) {
    const c = data[i];
    if (c < D0 || c > D0 + 9) break;
    id = id * 10 + (c - D0);
  }
  return id;
}

const roomcast = {
  path: (room) => `/roomcast?room=${encodeURIComponent(room)}`,
  protocols: ["roomcast.v1.json"],
  onOpen: (ws) => ws.send('[0,"/"]'),
  classify(data) {
    if (data[0] !== LBRACKET) return Kind.OTHER;
    switch (data[1]) {
      case D0 + 4:
        return Kind.EVENT;
      case D0 + 5:
        return Kind.REQUEST;
      case D0 + 6:
        return Kind.ACK;
      case D0 + 7:
        return Kind.PING;
      case D0 + 1:
        return Kind.READY;
      default:
        return Kind.OTHER;
    }
  },
  pong: "[7]",
  eventPayload: (data) => JSON.parse(data.toString())[3],
  ackRequest: (id, payload) => `[5,"/",${id},"req",${JSON.stringify(payload)}]`,
  ackId: (data) => JSON.parse(data.toString())[2],
  /** `[5,"/",id,"req",...]` from the server: answered `[6,"/",id,payload]`. */
  ackReply: (data, payloadJson) => `[6,"/",${idAt(data, 7)},${payloadJson}]`,
};

const socketio = {
  path: (room) => `/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}`,
  protocols: undefined,
  onOpen: () => {},
  classify(data) {
    const a = data[0];
    if (a === D0 + 4) {
      const b = data[1];
      // 42[...] is an event, 42<id>[...] one that wants an ack
      if (b === D0 + 2) return data[2] === LBRACKET ? Kind.EVENT : Kind.REQUEST;
      if (b === D0 + 3) return Kind.ACK;
      if (b === D0) return Kind.READY;
      return Kind.OTHER;
    }
    if (a === D0 + 2) return Kind.PING;
    if (a === D0) return Kind.OPEN;
    return Kind.OTHER;
  },
  pong: "3",
  /** Engine.IO open packet: the client then connects the main namespace. */
  openReply: "40",
  eventPayload: (data) => JSON.parse(data.toString("utf8", 2))[1],
  ackRequest: (id, payload) => `42${id}["req",${JSON.stringify(payload)}]`,
  ackId: (data) => idAt(data, 2),
  /** `42<id>["req",...]` from the server: answered `43<id>[payload]`. */
  ackReply: (data, payloadJson) => `43${idAt(data, 2)}[${payloadJson}]`,
};

/**
 * Bare ws: events are `["m",payload]`, ack requests `[id,"req",payload]`, replies `[id,payload]`;
 * the server's own requests are `["req",id,payload]`, answered `[id,payload]`.
 */
const ws = {
  path: (room) => `/?room=${encodeURIComponent(room)}`,
  protocols: undefined,
  onOpen: () => {},
  /** Open is ready: the server files the socket in its room before the handshake response leaves. */
  readyOnOpen: true,
  classify(data) {
    if (data[0] !== LBRACKET) return Kind.OTHER;
    if (data[1] !== QUOTE) return Kind.ACK;
    return data[2] === R ? Kind.REQUEST : Kind.EVENT;
  },
  pong: undefined,
  eventPayload: (data) => JSON.parse(data.toString())[1],
  ackRequest: (id, payload) => `[${id},"req",${JSON.stringify(payload)}]`,
  ackId: (data) => JSON.parse(data.toString())[0],
  ackReply: (data, payloadJson) => `[${idAt(data, 7)},${payloadJson}]`,
};

/*
 * roomcast with the exactly-once guarantee: each request is an EVENT_ONCE with an id of its own, so
 * the server files it in the socket's window of handled emits, keeps the reply and answers. One
 * counter for every connection of the process keeps ids unique per connection too.
 */
let nextOnceId = 0;
const roomcastOnce = {
  ...roomcast,
  ackRequest: (_index, payload) => `[9,"/",${(nextOnceId = (nextOnceId + 1) % 2 ** 32)},"req",${JSON.stringify(payload)}]`,
};

/* roomcast-sio is roomcast's Socket.IO endpoint: its clients are Socket.IO's, frame for frame. */
export const dialects = {
  roomcast,
  socketio,
  "roomcast-sio": socketio,
  "roomcast-once": roomcastOnce,
  /* roomcast with connection-state recovery on: the same frames */
  "roomcast-recovery": roomcast,
  "roomcast-traced": roomcast,
  ws,
  "ws-ref": ws,
};
