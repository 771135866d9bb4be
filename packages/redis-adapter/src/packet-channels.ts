import { looksLikeSocketId, type Room } from "@roomcast/core";

/*
 * A broadcast to more rooms than this goes out once on the namespace's packet channel, as the
 * cluster adapter does with its `maxRoomChannels` default: one PUBLISH per room stops paying off.
 */
export const MAX_ROOM_CHANNELS = 8;

/**
 * The pub/sub channels of one namespace's recoverable packets (classic PUBLISH/SUBSCRIBE, on a
 * Redis Cluster too: see docs/RECOVERY.md, "Ordering and duplicates"):
 *
 * - `{<prefix>#<nsp>}#packets`: every node subscribes. Packets to the whole namespace, to a
 *   socket id (a direct `socket.emit` included), to more than {@link MAX_ROOM_CHANNELS} rooms,
 *   gap markers, and the stream's position now and then (a "tick", so a node that hears little
 *   still knows how far the stream went).
 * - `{<prefix>#<nsp>}#packets#<room>#`: a node subscribes while it has local members in `room`.
 *
 * The trailing `#` keeps any room channel from being a prefix of another.
 */
export interface PacketChannels {
  readonly namespace: string;
  room(room: Room): string;
}

export function packetChannels(base: string): PacketChannels {
  const namespace = `${base}#packets`;
  const roomPrefix = `${namespace}#`;
  return { namespace, room: (room) => `${roomPrefix}${room}#` };
}

/**
 * Whether `room` gets a packet channel of its own. Socket ids do not (one SUBSCRIBE per
 * connection would cost more than it saves), with the test the cluster adapter uses by default;
 * publisher and subscriber apply the same pure test, so they always agree.
 */
export function hasRoomChannel(room: Room): boolean {
  return !looksLikeSocketId(room);
}

/**
 * The rooms whose channels a packet to `rooms` goes out on, in order; undefined when it goes out
 * on the namespace channel instead (no rooms: the whole namespace; a socket id; too many rooms).
 */
export function routedRooms(rooms: readonly Room[]): readonly Room[] | undefined {
  if (rooms.length === 0 || rooms.length > MAX_ROOM_CHANNELS) return undefined;
  for (const room of rooms) if (!hasRoomChannel(room)) return undefined;
  return rooms;
}
