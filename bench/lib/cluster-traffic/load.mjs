import { drawDistinct, seededRandom, zipfCumulative } from "./random.mjs";

/**
 * A chat-like cluster at one instant: which node each connection landed on and which rooms it
 * is in. Everything the traffic model computes follows from this and the message rates.
 *
 * @param {object} p
 * @param {number} p.nodes roomcast nodes behind the load balancer
 * @param {number} p.rooms rooms in the namespace (named room-0 ... room-<rooms-1>, room-0 the most popular)
 * @param {number} p.connections connections, one socket each in the namespace
 * @param {number} p.roomsPerConnection rooms each socket joins (distinct)
 * @param {number} p.zipf room popularity exponent: room i is picked with weight 1/(i+1)^zipf
 * @param {"least-connections"|"random"} p.balancer how the load balancer places connections
 * @param {number} p.seed
 */
export function generateLoad(p) {
  for (const key of ["nodes", "rooms", "connections", "roomsPerConnection"]) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${p[key]}`);
  }
  if (p.roomsPerConnection > p.rooms) throw new RangeError(`roomsPerConnection (${p.roomsPerConnection}) exceeds rooms (${p.rooms})`);
  if (p.balancer !== "least-connections" && p.balancer !== "random") throw new RangeError(`balancer must be "least-connections" or "random", got ${p.balancer}`);
  const random = seededRandom(p.seed);
  const popularity = zipfCumulative(p.rooms, p.zipf);
  const connections = [];
  /* members[node * rooms + room]: that node's local members of that room */
  const members = new Uint32Array(p.nodes * p.rooms);
  const perNode = new Uint32Array(p.nodes);
  for (let i = 0; i < p.connections; i++) {
    // Long-lived connections that all stay: least-connections hands them out in turn.
    const node = p.balancer === "least-connections" ? i % p.nodes : Math.floor(random() * p.nodes);
    const rooms = drawDistinct(popularity, p.roomsPerConnection, random);
    connections.push({ node, rooms });
    perNode[node]++;
    for (const room of rooms) members[node * p.rooms + room]++;
  }
  /* nodesWith[room]: the nodes with at least one local member, i.e. subscribed to its channel */
  const nodesWith = [];
  for (let room = 0; room < p.rooms; room++) {
    const list = [];
    for (let node = 0; node < p.nodes; node++) if (members[node * p.rooms + room] > 0) list.push(node);
    nodesWith.push(list);
  }
  /* memberTotal[room]: members on every node */
  const memberTotal = new Uint32Array(p.rooms);
  for (const { rooms } of connections) for (const room of rooms) memberTotal[room]++;
  return { params: { ...p }, connections, members, memberTotal, nodesWith, perNode, roomName: (room) => `room-${room}` };
}
