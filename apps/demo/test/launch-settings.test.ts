import { describe, expect, it } from "vitest";
import { readLaunchSettings } from "../src/cluster/launch-settings.js";
import { localUrl, probeUrl } from "../src/server/bind-address.js";
import { readNodeConfig } from "../src/server/config.js";

describe("where the demo listens", () => {
  it("keeps the usual defaults: every IPv4 interface, balancer 8080, nodes 3001-3003, Redis 6390", () => {
    expect(readLaunchSettings({})).toEqual({ host: "0.0.0.0", balancerPort: 8080, nodePorts: [3001, 3002, 3003], redisPort: 6390, redisUrl: undefined });
    expect(readNodeConfig({})).toMatchObject({ host: "0.0.0.0", port: 3000 });
  });

  it("takes DEMO_HOST and the ports from the environment; a node's own HOST comes first", () => {
    const env = { DEMO_HOST: "[::1]", DEMO_LB_PORT: "18080", DEMO_NODE_PORTS: "13001, 13002,13003", DEMO_REDIS_PORT: "16390" };
    expect(readLaunchSettings(env)).toMatchObject({ host: "::1", balancerPort: 18080, nodePorts: [13001, 13002, 13003], redisPort: 16390 });
    expect(readNodeConfig({ DEMO_HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
    expect(readNodeConfig({ DEMO_HOST: "0.0.0.0", HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
  });

  it("refuses values it cannot use, naming the variable", () => {
    expect(() => readLaunchSettings({ DEMO_HOST: "127.0.0.1:8080" })).toThrow('DEMO_HOST must be an IP address or a host name (for example 127.0.0.1, ::1 or localhost), got "127.0.0.1:8080"');
    expect(() => readLaunchSettings({ DEMO_LB_PORT: "80a" })).toThrow('DEMO_LB_PORT must be a port number from 1 to 65535, got "80a"');
    expect(() => readLaunchSettings({ DEMO_NODE_PORTS: "3001,3002" })).toThrow("DEMO_NODE_PORTS must be three ports");
    expect(() => readLaunchSettings({ DEMO_NODE_PORTS: "3001,3002,70000" })).toThrow('DEMO_NODE_PORTS must be a port number from 1 to 65535, got "70000"');
    expect(() => readLaunchSettings({ DEMO_LB_PORT: "3002" })).toThrow("port 3002 is given twice");
    expect(() => readNodeConfig({ HOST: "not a host" })).toThrow('HOST must be an IP address or a host name');
  });

  it("gives URLs people and probes can use for each address", () => {
    expect(localUrl("0.0.0.0", 8080)).toBe("http://localhost:8080");
    expect(localUrl("::1", 8080)).toBe("http://[::1]:8080");
    expect(probeUrl("0.0.0.0", 8080, "/readyz")).toBe("http://127.0.0.1:8080/readyz");
    expect(probeUrl("::", 8080, "/readyz")).toBe("http://[::1]:8080/readyz");
    expect(probeUrl("127.0.0.1", 8080, "/readyz")).toBe("http://127.0.0.1:8080/readyz");
  });
});
