/** How `io.close()` lets connections go: a batch at a time, so clients do not all reconnect at once. */
export interface ShutdownOptions {
  /** Connections closed (with 1012) per batch. */
  batchSize: number;
  /** Milliseconds between the end of one batch and the start of the next. */
  batchIntervalMs: number;
}

/** Something that can be told to go with 1012. */
export interface Drainable {
  drain(): void;
}

/**
 * Closes `items` in batches of `batchSize`, waiting `batchIntervalMs` between batches. Items that
 * went away meanwhile are skipped by `drain()` itself (closing twice is a no-op). Resolves after
 * the last batch; `onBatch` hears each batch's size (for metrics).
 */
export async function drainInBatches(items: readonly Drainable[], options: ShutdownOptions, onBatch: (size: number) => void): Promise<void> {
  const size = Math.max(1, Math.floor(options.batchSize));
  for (let start = 0; start < items.length; start += size) {
    if (start > 0 && options.batchIntervalMs > 0) {
      await new Promise<void>((resolve) => setTimeout(resolve, options.batchIntervalMs));
    }
    const end = Math.min(start + size, items.length);
    for (let i = start; i < end; i++) items[i].drain();
    onBatch(end - start);
  }
}
