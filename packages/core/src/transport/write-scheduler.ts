import { releaseSharedBatch } from "./shared-batch.js";

/** Something with queued output that should be written once per tick. */
export interface Flushable {
  flush(): void;
}

/*
 * One queue for the whole process: every connection that received packets during the current
 * tick is listed once and written once, in a single microtask. A broadcast to 10k sockets thus
 * costs 10k writes per tick at most, however many packets each socket got.
 */
const dirty: Flushable[] = [];
let scheduled = false;
/*
 * The flush runs as a promise reaction: the same microtask queue, in the same order, as
 * `queueMicrotask`, without the AsyncResource Node wraps around every `queueMicrotask` callback
 * (paid once per tick that writes, so once per ack when each inbound frame gets an answer).
 */
const settled = Promise.resolve();

function flushAll(): void {
  // Index loop: a flush may mark more connections dirty (a close handler emitting); they run too.
  for (let i = 0; i < dirty.length; i++) {
    try {
      dirty[i].flush();
    } catch {
      // A connection's failure is its own; the others still get written.
    }
  }
  dirty.length = 0;
  scheduled = false;
  releaseSharedBatch();
}

/** Lists `target` for the next flush. The caller keeps its own "already listed" flag. */
export function scheduleFlush(target: Flushable): void {
  dirty.push(target);
  if (!scheduled) {
    scheduled = true;
    void settled.then(flushAll);
  }
}
