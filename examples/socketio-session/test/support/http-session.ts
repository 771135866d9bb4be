/** What a browser would do with the login form and the session cookie, done with fetch. */

export interface LoginResult {
  status: number;
  location: string | null;
  /** `name=value` of the session cookie the response set, if any. */
  cookie: string | undefined;
}

export async function postLogin(url: string, username: string, password: string): Promise<LoginResult> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username, password }),
    redirect: "manual",
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().map((header) => header.split(";")[0]).find((pair) => pair.startsWith("connect.sid="));
  return { status: res.status, location: res.headers.get("location"), cookie };
}

/** Loads the page once, as a page view of the session behind `cookie`. */
export async function viewPage(url: string, cookie: string): Promise<number> {
  const res = await fetch(`${url}/`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

export async function postLogout(url: string, cookie: string): Promise<LoginResult> {
  const res = await fetch(`${url}/logout`, { method: "POST", headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get("location"), cookie: undefined };
}
