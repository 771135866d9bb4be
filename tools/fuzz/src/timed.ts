/*
 * The per-case time budget is for the code under test, not for generating, encoding and checking
 * a case (which for a value nested thousands deep costs more than decoding it). Targets wrap
 * their calls to the code under test in `timed`; the runner reads the sum after each case.
 */
let spent = 0;

export function timed<T>(fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    spent += performance.now() - start;
  }
}

/** Milliseconds spent in `timed` since the last call. */
export function takeSpent(): number {
  const total = spent;
  spent = 0;
  return total;
}
