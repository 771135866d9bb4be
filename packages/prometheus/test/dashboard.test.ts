import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createClusterAdapter, InProcessHub, Server } from "@roomcast/core";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerMetrics } from "../src/index.js";
import { parseExposition } from "./support/exposition.js";

/* The Grafana dashboard shipped in docs/grafana, checked against what the exporter serves. */

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL("../../../docs/grafana/roomcast.json", import.meta.url), "utf8")) as {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
};

/** Every PromQL query of the dashboard: panel targets (rows' nested panels too) and template variables. */
function queries(): string[] {
  const found: string[] = [];
  const walk = (panels: Panel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) found.push(target.expr);
      if (panel.panels) walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === "object" ? variable.query.query : variable.query;
    if (query?.includes("(")) found.push(query);
  }
  return found;
}

const METRIC = /\broomcast_[a-zA-Z0-9_:]+/g;

describe("the Grafana dashboard (docs/grafana/roomcast.json)", () => {
  let produced: Set<string>;
  let io: Server;

  beforeAll(async () => {
    // a server with a cluster adapter, so the cluster metrics have samples too
    io = new Server(0, { adapter: createClusterAdapter(new InProcessHub().endpoint()), connectionStateRecovery: {} });
    if (!io.httpServer!.listening) await once(io.httpServer!, "listening");
    const register = new Registry();
    registerMetrics(io, { register });
    produced = new Set(parseExposition(await register.metrics()).types.keys());
  });

  afterAll(() => io?.close());

  it("queries only metrics the exporter produces", () => {
    const used = new Set(queries().flatMap((query) => query.match(METRIC) ?? []));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !produced.has(name))).toEqual([]);
  });

  it("shows every metric the exporter produces", () => {
    const used = new Set(queries().flatMap((query) => query.match(METRIC) ?? []));
    expect([...produced].filter((name) => !used.has(name))).toEqual([]);
  });

  it("filters every panel query by the instance variable, and gives panels unique ids and a query each", () => {
    const ids = new Set<number>();
    const walk = (panels: Panel[]): void => {
      for (const panel of panels) {
        expect(ids.has(panel.id), `panel id ${panel.id}`).toBe(false);
        ids.add(panel.id);
        if (panel.type === "row") {
          walk(panel.panels ?? []);
          continue;
        }
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.expr, panel.title).toContain('instance=~"$instance"');
      }
    };
    walk(dashboard.panels);
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual(["datasource", "instance"]);
  });
});
