/**
 * The cluster traffic model: a seeded chat-like load (load.mjs), the traffic it causes in Redis
 * and on each node for each way of distributing broadcasts (traffic.mjs), and the wire sizes
 * behind the byte counts (wire-sizes.mjs). `node bench/tools/cluster-traffic-model.mjs` prints it.
 */
export { generateLoad } from "./load.mjs";
export { modelTraffic, VARIANTS, VARIANT_LABELS } from "./traffic.mjs";
export { messageSizes, msgpackSize, respArraySize } from "./wire-sizes.mjs";
