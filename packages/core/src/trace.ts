import createDebug from "debug";
import { type Packet, PacketType } from "@roomcast/protocol";

/*
 * Debug tracing with the `debug` package, under the names Socket.IO users already filter on:
 * `DEBUG=roomcast:*` turns every one on, `DEBUG=roomcast:socket` one of them. Traces name packet
 * types, namespaces, rooms, ids and sizes; never a payload, an event's arguments or credentials.
 *
 * Every call site checks `.enabled` first, so a trace that is off costs one property read: no
 * string is formatted and no argument array is built. Nothing is traced per recipient of a
 * broadcast.
 */

/** Connections opening and closing, namespace joins and refusals. */
export const traceServer = createDebug("roomcast:server");
/** Handshakes: accepted transports and refused requests. */
export const traceEngine = createDebug("roomcast:engine");
/** Packets in and out (type, namespace, size), rooms joined and left, broadcasts. */
export const traceSocket = createDebug("roomcast:socket");
/** Messages between the nodes of a cluster (type, channel, size). */
export const traceCluster = createDebug("roomcast:cluster");

/* Indexed by PacketType. */
const PACKET_NAMES = ["CONNECT", "CONNECTED", "CONNECT_ERROR", "DISCONNECT", "EVENT", "EVENT_WITH_ACK", "ACK", "HEARTBEAT", "EVENT_AT"];

/** A packet's type as a trace shows it: its name, "EVENT_WITH_ACK" for an event that expects an ack. */
export function packetName(packet: Packet): string {
  if (packet.type === PacketType.EVENT && packet.id !== undefined) return "EVENT_WITH_ACK";
  return PACKET_NAMES[packet.type] ?? `type ${packet.type}`;
}
