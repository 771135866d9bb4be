/*
 * Date.now() once per turn of Node's event loop instead of once per frame: a process reading many
 * connections (or a burst on one) gets several frames per turn, and each read is a call into the
 * runtime (about 40 ns on Node 20). setImmediate clears the reading once the turn's I/O is done,
 * so a frame's time is early by at most the length of that turn, nothing next to the heartbeat
 * window it is compared with.
 */
let turnTime = 0;

const clear = () => (turnTime = 0);

/** ms since the epoch, as Date.now() read at the first call of the current turn. */
export function turnNow(): number {
  if (!turnTime) {
    turnTime = Date.now();
    setImmediate(clear);
  }
  return turnTime;
}
