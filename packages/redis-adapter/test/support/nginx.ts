import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const NGINX = process.env.NGINX_BIN ?? "nginx";
// Debian installs it in /usr/sbin, which is not on every user's PATH.
const SEARCH_PATH = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/sbin", "/usr/local/sbin"];

/** Full path of nginx, or an error that names the package to install (a skipped test would look green). */
export function requireNginx(): string {
  const candidates = NGINX.includes("/") ? [NGINX] : SEARCH_PATH.map((dir) => join(dir, NGINX));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`these tests run nginx: no executable "${NGINX}" (looked on PATH and in /usr/sbin; NGINX_BIN overrides). Install with: apt-get update && apt-get install -y nginx`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * The main context around an `http`-context configuration (what a site file in conf.d holds):
 * one process in the foreground, and every path nginx writes inside `dir` instead of the
 * distribution's /var/log/nginx and /var/lib/nginx.
 */
function mainConfig(dir: string): string {
  return `daemon off;
master_process off;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path ${join(dir, "client_body")};
    proxy_temp_path ${join(dir, "proxy")};
    fastcgi_temp_path ${join(dir, "fastcgi")};
    uwsgi_temp_path ${join(dir, "uwsgi")};
    scgi_temp_path ${join(dir, "scgi")};
    include ${join(dir, "site.conf")};
}
`;
}

/** Files the site configuration refers to (certificates), written next to it. */
export type NginxFiles = Record<string, string>;

/** An nginx child process running one site configuration from a temporary directory. */
export class Nginx {
  private constructor(
    private readonly child: ChildProcess,
    /** The temporary prefix: configuration, files, error log, temp paths. */
    readonly dir: string,
    private readonly output: string[],
  ) {}

  /**
   * Writes `files` into a fresh temporary directory, then `site(dir)` (an `http`-context
   * configuration that may name those files under `dir`), starts
   * `nginx -p <dir> -e <dir>/error.log -c <dir>/nginx.conf` and resolves once every one of
   * `ports` (its `listen` ports on 127.0.0.1) accepts connections.
   */
  static async start(site: (dir: string) => string, ports: number[], files: NginxFiles = {}, timeoutMs = 5000): Promise<Nginx> {
    const binary = requireNginx();
    const dir = await mkdtemp(join(tmpdir(), "roomcast-nginx-"));
    await chmod(dir, 0o755);
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content, { mode: 0o600 });
    const config = site(dir);
    await writeFile(join(dir, "site.conf"), config);
    await writeFile(join(dir, "nginx.conf"), mainConfig(dir));
    const output: string[] = [];
    // -e: the error log from the first moment, before the configuration names one.
    const child = spawn(binary, ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", (err) => output.push(String(err)));
    // Never outlives the test process, even when a teardown fails.
    const killOnExit = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    const nginx = new Nginx(child, dir, output);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = await nginx.errorLog();
        await rm(dir, { recursive: true, force: true });
        throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}):\n${output.join("")}${log}\n--- site config ---\n${config}`);
      }
      if ((await Promise.all(ports.map(accepts))).every(Boolean)) return nginx;
      if (Date.now() > deadline) {
        const log = await nginx.errorLog();
        await nginx.stop();
        throw new Error(`nginx did not listen on 127.0.0.1:${ports.join(", ")} within ${timeoutMs} ms:\n${output.join("")}${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What nginx wrote to its error log (warnings and errors). */
  async errorLog(): Promise<string> {
    return readFile(join(this.dir, "error.log"), "utf8").catch(() => "");
  }

  /** Fast shutdown (SIGTERM closes every connection at once), then removes the directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
