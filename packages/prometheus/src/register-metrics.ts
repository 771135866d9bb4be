import { Counter, Gauge, type Registry } from "prom-client";
import { METRIC_DEFINITIONS, type MetricDefinition } from "./metric-definitions.js";
import type { MetricsSource } from "./server-source.js";

/** Options of `registerMetrics`. */
export interface RegisterMetricsOptions {
  /** The prom-client registry to register into (`client.register` for the default one). */
  register: Registry;
  /** Put before every metric name. Default "roomcast_". */
  prefix?: string;
  /**
   * The value of the `namespace` label for a namespace name. Identity by default; map the
   * children of a dynamic namespace to one value (`(name) => name.startsWith("/team-") ?
   * "/team-*" : name`) to keep the number of series bounded: samples under the same value add up.
   */
  namespaceLabel?: (name: string) => string;
}

/** What `registerMetrics` registered; `close()` (or `using`) removes it again. */
export interface RegisteredMetrics {
  /** Full names of the registered metrics. */
  readonly names: readonly string[];
  /** Removes the metrics from the registry. Calling it again does nothing. */
  close(): void;
  [Symbol.dispose](): void;
}

const OPTION_NAMES = ["register", "prefix", "namespaceLabel"];
/* Prometheus's data model: metric names match [a-zA-Z_:][a-zA-Z0-9_:]* */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function checkOptions(options: unknown): asserts options is RegisterMetricsOptions {
  if (typeof options !== "object" || options === null) throw new TypeError("registerMetrics(io, options): options must be an object with a `register`");
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`registerMetrics: unknown option "${key}"; it accepts ${OPTION_NAMES.map((name) => `"${name}"`).join(", ")}`);
    }
  }
  const { register, prefix, namespaceLabel } = options as Record<string, unknown>;
  if (typeof (register as Partial<Registry> | undefined)?.registerMetric !== "function") {
    throw new TypeError('registerMetrics: option "register" must be a prom-client Registry (client.register or new client.Registry())');
  }
  if (prefix !== undefined && (typeof prefix !== "string" || (prefix !== "" && !METRIC_NAME.test(prefix)))) {
    throw new TypeError(`registerMetrics: option "prefix" must be a string of letters, digits, "_" and ":" not starting with a digit; got ${JSON.stringify(prefix)}`);
  }
  if (namespaceLabel !== undefined && typeof namespaceLabel !== "function") {
    throw new TypeError('registerMetrics: option "namespaceLabel" must be a function (namespace name) => label value');
  }
}

function checkSource(io: unknown): asserts io is MetricsSource {
  const source = io as Partial<MetricsSource> | undefined;
  if (typeof source?.metrics?.traffic !== "object" || !(source._nsps instanceof Map)) {
    throw new TypeError("registerMetrics: the first argument must be a roomcast Server (new Server() of @roomcast/core)");
  }
}

/** A prom-client metric whose samples are read from `io` at every scrape. */
function createMetric(definition: MetricDefinition, name: string, io: MetricsSource, namespaceLabel: (name: string) => string, register: Registry): Counter | Gauge {
  const read = (): ReturnType<MetricDefinition["read"]> => definition.read(io, namespaceLabel);
  const configuration = { name, help: definition.help, labelNames: definition.labelNames, registers: [register] };
  if (definition.type === "counter") {
    return new Counter({
      ...configuration,
      // Counters of io are the truth: each scrape copies them (adding up samples under the same labels).
      collect(this: Counter) {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }
  return new Gauge({
    ...configuration,
    collect(this: Gauge) {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/**
 * Registers collectors for `io`'s metrics in a prom-client registry: connections, sockets and
 * rooms per namespace, events and bytes per dialect, acks, losses and limits, close codes,
 * connection-state recovery, and, with a cluster adapter, the cluster and its Redis connections
 * (found through `io` itself). Values are read from counters roomcast keeps anyway, when the
 * registry is scraped: nothing is added to the path of a message.
 *
 * @throws TypeError for an unknown option, a missing `register`, a prefix that is not a valid
 *   metric name, or an `io` that is not a roomcast Server
 * @throws Error when one of the names is already registered in `register` (nothing is registered then)
 *
 * @example
 * import client from "prom-client";
 * const metrics = registerMetrics(io, { register: client.register });
 * // GET /metrics: res.setHeader("content-type", client.register.contentType); res.end(await client.register.metrics());
 * metrics.close(); // unregisters them
 */
export function registerMetrics(io: MetricsSource, options: RegisterMetricsOptions): RegisteredMetrics {
  checkSource(io);
  checkOptions(options);
  const { register } = options;
  const prefix = options.prefix ?? "roomcast_";
  const namespaceLabel = options.namespaceLabel ?? ((name: string) => name);
  const names = METRIC_DEFINITIONS.map((definition) => prefix + definition.name);
  const taken = names.filter((name) => register.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new Error(`registerMetrics: ${taken.join(", ")} already registered in this registry (call close() on the previous registration, or use another prefix)`);
  }
  const metrics = METRIC_DEFINITIONS.map((definition, i) => createMetric(definition, names[i], io, namespaceLabel, register));
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const [i, name] of names.entries()) {
      // Only our own: another metric may have been registered under the name since.
      if (register.getSingleMetric(name) === metrics[i]) register.removeSingleMetric(name);
    }
  };
  return { names, close, [Symbol.dispose]: close };
}
