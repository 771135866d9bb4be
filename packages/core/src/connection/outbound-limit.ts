import type { Wire } from "../dialect/wire.js";
import type { ServerOptions } from "../server/server-options.js";

/**
 * How far above `maxBufferedBytes` the bytes pending for a peer that takes what it is handed may
 * go: 8 MiB with the default 1 MiB. A burst (a snapshot, a loop of emits in one tick) is not a
 * sign of a slow reader, but it still has to end somewhere, even for one synchronous loop of
 * emits to a peer that reads nothing: this cap bounds the memory one connection can hold. It is
 * twice what Linux lets a TCP socket buffer on its own (`tcp_wmem` max: 4 MiB).
 */
export const BURST_FACTOR = 8;

/**
 * Whether queuing `length` more bytes on a connection with `buffered` pending makes it a slow
 * consumer (docs/ERRORS.md, "Slow consumers"). Called only once `buffered + length` is over
 * `maxBufferedBytes`, so the common case costs one comparison in `Connection#push`.
 *
 * - Above `BURST_FACTOR × maxBufferedBytes` pending: always.
 * - Otherwise only when the peer has failed to take its bytes (`Wire#stalledBytes`) and what it
 *   failed to take, with this packet, goes over `maxBufferedBytes`.
 */
export function overOutboundLimit(
  wire: Wire,
  buffered: number,
  length: number,
  options: Pick<ServerOptions, "maxBufferedBytes" | "pingInterval">,
): boolean {
  const max = options.maxBufferedBytes;
  if (buffered + length > max * BURST_FACTOR) return true;
  // A long-polling client fetches its pings, so it comes back at least once per ping interval.
  const stalled = wire.stalledBytes(options.pingInterval);
  return stalled >= 0 && stalled + length > max;
}
