import type { ConnectedInfo, ResumeRequest } from "@roomcast/protocol";

/* "epoch:offset" with offset "n" or "ms-seq" (docs/PROTOCOL.md §4) -> [epoch, high, low] */
function parse(position: string): [string, number, number] {
  const colon = position.lastIndexOf(":");
  const [high, low = 0] = position.slice(colon + 1).split("-").map(Number);
  return [position.slice(0, colon), high, low];
}

/**
 * Connection-state recovery of one namespace socket: the session id and the position of the last
 * event processed, presented on reconnect, and the count of replayed events still to come.
 */
export interface Recovery {
  /** Replayed EVENT_AT packets still expected before "connect". */
  _pending: number;
  /** What to send with CONNECT; nothing until the server handed out a session. */
  _request(): ResumeRequest | undefined;
  /** CONNECTED arrived; returns how many replayed events follow it. */
  _connected(info: ConnectedInfo): number;
  /** An EVENT_AT arrived: false when an event at or before it was already processed (a duplicate). */
  _accept(position: string): boolean;
}

/* a closure, as the ack registry: the session id and position are local variables */
export function recovery(): Recovery {
  let pid: string | undefined;
  let position: string | undefined;
  const state: Recovery = {
    _pending: 0,
    _request: () => (pid && position ? { pid, position } : undefined),
    _connected(info) {
      pid = info.pid;
      // a fresh session starts at the server's position; a recovered one continues from ours
      if (!info.recovered) position = info.position;
      return (state._pending = info.recovered && typeof info.missed === "number" ? info.missed : 0);
    },
    _accept(next) {
      if (position) {
        const [epoch, high, low] = parse(next);
        const [lastEpoch, lastHigh, lastLow] = parse(position);
        if (epoch === lastEpoch && (high < lastHigh || (high === lastHigh && low <= lastLow))) return false;
      }
      position = next;
      return true;
    },
  };
  return state;
}
