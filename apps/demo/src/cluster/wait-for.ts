import type { ChildProcess } from "node:child_process";
import { get } from "node:http";

/** Like waitForHttp, but fails at once if `child` (the process meant to serve `url`) exits first. */
export async function waitForProcessServing(name: string, child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code, signal) => reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before serving ${url}`));
    child.once("exit", onExit);
  });
  try {
    await Promise.race([waitForHttp(url, timeoutMs), exited]);
  } finally {
    child.off("exit", onExit!);
  }
}

/** Resolves once `url` answers 200, polling until `timeoutMs` has passed. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline) {
    try {
      const status = await httpStatus(url);
      if (status === 200) return;
      lastError = `status ${status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${lastError})`);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}
