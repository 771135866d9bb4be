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
export class Recovery {
  _pid: string | undefined;
  _position: string | undefined;
  /** Replayed EVENT_AT packets still expected before "connect". */
  _pending = 0;

  /** What to send with CONNECT; nothing until the server handed out a session. */
  _request(): ResumeRequest | undefined {
    return this._pid && this._position ? { pid: this._pid, position: this._position } : undefined;
  }

  /** CONNECTED arrived; returns how many replayed events follow it. */
  _connected(info: ConnectedInfo): number {
    this._pid = info.pid;
    // a fresh session starts at the server's position; a recovered one continues from ours
    if (!info.recovered) this._position = info.position;
    return (this._pending = info.recovered && typeof info.missed === "number" ? info.missed : 0);
  }

  /** An EVENT_AT arrived: false when an event at or before it was already processed (a duplicate). */
  _accept(position: string): boolean {
    const last = this._position;
    if (last) {
      const [epoch, high, low] = parse(position);
      const [lastEpoch, lastHigh, lastLow] = parse(last);
      if (epoch === lastEpoch && (high < lastHigh || (high === lastHigh && low <= lastLow))) return false;
    }
    this._position = position;
    return true;
  }
}
