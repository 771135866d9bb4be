/** The login form's requests, done with fetch as a browser would, keeping the session cookie by hand. */

export interface LoginResult {
  status: number;
  /** `connect.sid=<value>`, ready for a `cookie` header; undefined when none was set. */
  cookie: string | undefined;
}

export async function login(url: string, username: string, password: string): Promise<LoginResult> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().map((header) => header.split(";")[0]).find((pair) => pair.startsWith("connect.sid="));
  return { status: res.status, cookie };
}

export async function logout(url: string, cookie: string): Promise<number> {
  const res = await fetch(`${url}/logout`, { method: "POST", headers: { cookie }, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}
