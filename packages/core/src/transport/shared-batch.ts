/*
 * Every member of a room receives the same frames, in the same order, during a burst of
 * broadcasts, and the write scheduler flushes those members one after the other. Joining the
 * frames into one buffer per connection would copy the same bytes once per member; joining them
 * once and handing the same buffer to each member costs one copy per burst. A write of one
 * buffer is also far cheaper for the socket than a corked write of many (one chunk instead of a
 * list of buffered writes gathered into a writev).
 *
 * One batch is remembered: the frames it was built from (compared by identity, frames are never
 * modified once built) and their concatenation. It is released at the end of every flush round,
 * so it holds at most one round's worth of one connection's output.
 */

/** The frames of the remembered batch, by identity; reused between rounds so matching allocates nothing. */
const batchFrames: Buffer[] = [];
let batch: Buffer | undefined;

/**
 * One buffer with `frames` (at least two) joined, `totalBytes` long: the remembered one when
 * `frames` holds the same buffers in the same order, a new one (then remembered) otherwise.
 */
export function sharedBatch(frames: readonly Buffer[], totalBytes: number): Buffer {
  const count = frames.length;
  if (batch !== undefined && batchFrames.length === count && batch.length === totalBytes) {
    let same = true;
    // Last frame first: queues that differ usually differ at the end (a direct packet after a burst).
    for (let i = count - 1; i >= 0; i--) {
      if (frames[i] !== batchFrames[i]) {
        same = false;
        break;
      }
    }
    if (same) return batch;
  }
  batch = Buffer.concat(frames as Buffer[], totalBytes);
  batchFrames.length = count;
  for (let i = 0; i < count; i++) batchFrames[i] = frames[i];
  return batch;
}

/** Forgets the remembered batch, so its frames and bytes can be collected. */
export function releaseSharedBatch(): void {
  batch = undefined;
  batchFrames.length = 0;
}
