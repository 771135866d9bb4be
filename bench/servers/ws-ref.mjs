/**
 * The practical floor for a ws-based server: each broadcast is serialised and framed once, frames
 * queue per room until the end of the tick, and each socket is then written once (cork, write the
 * pre-built frames, uncork) straight on its TCP socket, bypassing ws's per-send framing.
 */
import { startWs } from "./ws-plain.mjs";

function textFrame(payload) {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header);
  return frame;
}

export function start(opts) {
  return startWs(opts, (rooms) => {
    const pending = new Map(); // room -> frames queued this tick
    let scheduled = false;
    const corked = [];

    function flush() {
      scheduled = false;
      for (const [room, frames] of pending) {
        const members = rooms.get(room);
        if (!members) continue;
        const bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
        for (const ws of members) {
          const raw = ws._socket;
          if (!raw || raw.destroyed) continue;
          if (!raw.writableCorked) {
            raw.cork();
            corked.push(raw);
          }
          raw.write(bytes);
        }
      }
      pending.clear();
      for (let i = 0; i < corked.length; i++) corked[i].uncork();
      corked.length = 0;
    }

    return (room, event, payload) => {
      const frame = textFrame(Buffer.from(JSON.stringify([event, payload])));
      const frames = pending.get(room);
      if (frames) frames.push(frame);
      else pending.set(room, [frame]);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    };
  });
}
