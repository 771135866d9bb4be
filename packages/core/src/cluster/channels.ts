import type { BroadcastOptions, Room } from "../types.js";

/**
 * Channel names of one namespace. `#` closes every name so that no channel is a prefix of
 * another (Redis pattern users can still match `roomcast#/chat#*`).
 *
 * - `<prefix>#<nsp>#` : namespace channel. Every node of the namespace subscribes. It carries
 *   broadcasts to the whole namespace, to private (socket id) rooms and to many rooms at once, and
 *   every request and heartbeat.
 * - `<prefix>#<nsp>#<room>#` : room channel. A node subscribes while it has local members in the
 *   room, so it does not hear the traffic of rooms it has nobody in.
 * - `<prefix>-response#<nsp>#<uid>#` : a node's response channel, where replies to its requests go.
 */
export interface ChannelNames {
  readonly namespace: string;
  room(room: Room): string;
  response(uid: string): string;
}

export function channelNames(prefix: string, nsp: string): ChannelNames {
  const namespace = `${prefix}#${nsp}#`;
  return {
    namespace,
    room: (room) => `${namespace}${room}#`,
    response: (uid) => `${prefix}-response#${nsp}#${uid}#`,
  };
}

/**
 * Default test for a socket's private room (the room named after its id). Roomcast socket ids are
 * 12 random bytes in base64url (16 characters; 20 for 15-byte ids as Socket.IO uses). Private
 * rooms get no channel of their own: that would cost one subscription per connected socket (a
 * SUBSCRIBE on connect, an UNSUBSCRIBE on disconnect) for rooms of one member, so `to(socketId)`
 * goes out on the namespace channel instead.
 *
 * Sender and receiver apply the same pure test to the room name, so they always agree on the
 * channel whatever the answer: a user room that looks like an id is still delivered, only
 * without room scoping, and an id that does not look like one gets its own channel. Requiring
 * both letter cases keeps ordinary names such as "engineering-team" scoped.
 */
export function looksLikeSocketId(room: Room): boolean {
  const length = room.length;
  if (length !== 16 && length !== 20) return false;
  let upper = false;
  let lower = false;
  for (let i = 0; i < length; i++) {
    const c = room.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (!((c >= 48 && c <= 57) || c === 45 /* - */ || c === 95) /* _ */) return false;
  }
  return upper && lower;
}

/** How a broadcast is routed: which rooms get a channel of their own. */
export interface RoutingOptions {
  /** Rooms for which this returns true travel on the namespace channel. */
  isPrivateRoom: (room: Room) => boolean;
  /** A broadcast to more rooms than this goes out once on the namespace channel instead. */
  maxRoomChannels: number;
}

/**
 * The channels a broadcast is published on: the room channel of each target room, or the
 * namespace channel when the broadcast targets everyone, a private room or too many rooms.
 */
export function broadcastChannels(names: ChannelNames, opts: BroadcastOptions, routing: RoutingOptions): string[] {
  const rooms = opts.rooms;
  if (rooms.size === 0 || rooms.size > routing.maxRoomChannels) return [names.namespace];
  const channels: string[] = [];
  for (const room of rooms) {
    if (routing.isPrivateRoom(room)) return [names.namespace];
    channels.push(names.room(room));
  }
  return channels;
}
