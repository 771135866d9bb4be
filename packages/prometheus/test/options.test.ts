import { Server } from "@roomcast/core";
import { Counter, Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { registerMetrics } from "../src/index.js";
import { parseExposition } from "./support/exposition.js";

describe("registerMetrics", () => {
  const io = new Server();
  afterAll(() => io.close());

  describe("options", () => {
    it("refuses an unknown option, naming it and the accepted ones", () => {
      expect(() => registerMetrics(io, { register: new Registry(), adapter: {} } as never)).toThrow(
        'registerMetrics: unknown option "adapter"; it accepts "register", "prefix", "namespaceLabel"',
      );
    });

    it("refuses a missing or wrong register", () => {
      expect(() => registerMetrics(io, {} as never)).toThrow(/option "register" must be a prom-client Registry/);
      expect(() => registerMetrics(io, { register: {} } as never)).toThrow(/option "register" must be a prom-client Registry/);
      expect(() => registerMetrics(io, undefined as never)).toThrow(TypeError);
    });

    it("refuses a prefix that would make invalid metric names, and a namespaceLabel that is not a function", () => {
      expect(() => registerMetrics(io, { register: new Registry(), prefix: "room-cast_" })).toThrow(/option "prefix"/);
      expect(() => registerMetrics(io, { register: new Registry(), prefix: "1x_" })).toThrow(/option "prefix"/);
      expect(() => registerMetrics(io, { register: new Registry(), namespaceLabel: "/" as never })).toThrow(/option "namespaceLabel"/);
    });

    it("refuses something that is not a roomcast server", () => {
      expect(() => registerMetrics({} as never, { register: new Registry() })).toThrow(/must be a roomcast Server/);
    });

    it("puts `prefix` before every name", async () => {
      const register = new Registry();
      const { names } = registerMetrics(io, { register, prefix: "chat_" });
      expect(names).toContain("chat_connections");
      expect(names.every((name) => name.startsWith("chat_"))).toBe(true);
      expect(parseExposition(await register.metrics()).types.get("chat_sockets")).toBe("gauge");
    });
  });

  describe("registration", () => {
    it("refuses to register twice in one registry, registering nothing more", () => {
      const register = new Registry();
      registerMetrics(io, { register });
      const before = register.getMetricsAsArray().length;
      expect(() => registerMetrics(io, { register })).toThrow(/roomcast_connections, .* already registered/);
      expect(register.getMetricsAsArray().length).toBe(before);
    });

    it("removes only its own metrics on close(), once, and again with `using`", () => {
      const register = new Registry();
      const other = new Counter({ name: "app_requests_total", help: "the application's own", registers: [register] });
      const registered = registerMetrics(io, { register });
      registered.close();
      registered.close();
      expect(register.getMetricsAsArray()).toEqual([register.getSingleMetric("app_requests_total")]);
      expect(register.getSingleMetric("app_requests_total")).toBe(other);
      {
        using again = registerMetrics(io, { register });
        expect(again.names.every((name) => register.getSingleMetric(name) !== undefined)).toBe(true);
      }
      expect(register.getMetricsAsArray().length).toBe(1);
    });

    it("adds up namespaces that namespaceLabel maps to one label value", async () => {
      const server = new Server();
      const register = new Registry();
      for (const name of ["/team-1", "/team-2", "/admin"]) server.of(name);
      registerMetrics(server, { register, namespaceLabel: (name) => (name.startsWith("/team-") ? "/team-*" : name) });
      const labels = parseExposition(await register.metrics())
        .samples.filter((sample) => sample.name === "roomcast_sockets")
        .map((sample) => sample.labels.namespace)
        .sort();
      expect(labels).toEqual(["/", "/admin", "/team-*"]);
      await server.close();
    });
  });
});
