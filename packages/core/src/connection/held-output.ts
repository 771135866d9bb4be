import type { OutgoingPacket } from "../dialect/outgoing-packet.js";

/**
 * Output a connection keeps back while connection-state recovery writes a change to one of its
 * sessions (docs/RECOVERY.md, "Crashes"). Until the write is done the client is sent nothing that
 * follows the change, so a crash of the node may lose the change but never leaves the client
 * having seen a state its stored session does not have. Holds nest: the output goes once the
 * last one is released.
 */
export class HeldOutput {
  /** Holds not yet released. */
  holds = 1;
  /** Encoded size of `packets` on the connection's wire; counted against `maxBufferedBytes`. */
  bytes = 0;
  readonly packets: OutgoingPacket[] = [];
  /** Per packet: false when it was sent with `compress(false)`. */
  readonly compress: boolean[] = [];
}
