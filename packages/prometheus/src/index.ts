export { registerMetrics, type RegisterMetricsOptions, type RegisteredMetrics } from "./register-metrics.js";
export type { MetricsSource } from "./server-source.js";
