/**
 * Latency histogram with 10 µs buckets up to 10 s (anything slower lands in the last bucket).
 * Fixed buckets merge by addition, so each client process keeps its own and the runner sums them:
 * percentiles of a whole fleet without shipping every sample over IPC.
 */
const BUCKET_MS = 0.01;
const BUCKETS = 1_000_000;

export class Histogram {
  constructor() {
    this.counts = new Uint32Array(BUCKETS);
    this.total = 0;
    this.sum = 0;
    this.max = 0;
  }

  record(ms) {
    const value = ms < 0 ? 0 : ms;
    let bucket = Math.floor(value / BUCKET_MS);
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    this.counts[bucket]++;
    this.total++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  /** Sparse form for IPC: [bucket, count] pairs of the non-empty buckets. */
  toJSON() {
    const pairs = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) pairs.push(i, this.counts[i]);
    return { pairs, total: this.total, sum: this.sum, max: this.max };
  }

  merge(sparse) {
    const { pairs } = sparse;
    for (let i = 0; i < pairs.length; i += 2) this.counts[pairs[i]] += pairs[i + 1];
    this.total += sparse.total;
    this.sum += sparse.sum;
    if (sparse.max > this.max) this.max = sparse.max;
  }

  /** Upper edge of the bucket holding the p-th percentile, in ms. */
  percentile(p) {
    if (this.total === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return (i + 1) * BUCKET_MS;
    }
    return this.max;
  }

  summary() {
    return {
      samples: this.total,
      p50: this.percentile(50),
      p99: this.percentile(99),
      mean: this.total ? this.sum / this.total : NaN,
      max: this.max,
    };
  }
}

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in ms with ns precision. */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}
