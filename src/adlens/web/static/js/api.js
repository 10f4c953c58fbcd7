// The API client: tokens, refresh, and JSON requests with problem+json errors.
//
// Tokens live in sessionStorage (this tab only, gone when it closes), never in a URL or a
// cookie. The access token is refreshed shortly before it expires and whenever the API
// answers 401; the refresh token rotates on every refresh.

const KEY = "adlens-session";
const REFRESH_MARGIN_MS = 60_000;
let refreshing = null;
let timer = null;

export class ApiError extends Error {
  constructor(status, problem, path) {
    const text = (problem && (problem.detail || problem.title)) || `the server answered ${status}`;
    super(text);
    this.status = status;
    this.problem = problem || {};
    this.path = path;
  }
}

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function save(tokens) {
  const session = {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() + (Number(tokens.expires_in) || 900) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  schedule(session);
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
  if (timer) clearTimeout(timer);
}

export function hasSession() {
  return load() !== null;
}

function schedule(session) {
  if (timer) clearTimeout(timer);
  const wait = Math.max(5_000, session.expires_at - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => refresh().catch(() => {}), wait);
}

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data, path);
  return data;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

export async function login(username, password) {
  return save(await postJson("/auth/token", { username, password }));
}

// One refresh at a time: concurrent 401s wait for the same rotation.
export function refresh() {
  if (!refreshing) {
    const session = load();
    refreshing = (session
      ? postJson("/auth/refresh", { refresh_token: session.refresh_token }).then(save)
      : Promise.reject(new ApiError(401, { detail: "not signed in" }, "/auth/refresh"))
    ).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export async function logout() {
  const session = load();
  clearSession();
  if (session) {
    await fetch("/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.access_token}` },
      body: JSON.stringify({ refresh_token: session.refresh_token }),
    }).catch(() => {});
  }
  location.assign("/login");
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`);
}

// A fetch with the access token; refreshes once on 401. Returns the Response.
export async function authFetch(path, options = {}) {
  let session = load();
  if (!session) {
    toLogin();
    throw new ApiError(401, { detail: "not signed in" }, path);
  }
  if (session.expires_at - Date.now() < 5_000) session = await refresh().catch(() => session);
  else schedule(session);
  const send = (token) =>
    fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` } });
  let response = await send(session.access_token);
  if (response.status === 401) {
    try {
      session = await refresh();
    } catch {
      clearSession();
      toLogin();
      throw new ApiError(401, { detail: "your session ended; sign in again" }, path);
    }
    response = await send(session.access_token);
  }
  return response;
}

// JSON in, JSON out. `query` becomes the query string (undefined/empty values dropped).
export async function api(path, { method = "GET", body, query } = {}) {
  const url = withQuery(path, query);
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await authFetch(url, options);
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data, url);
  return data;
}

export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function accessToken() {
  const session = load();
  return session ? session.access_token : null;
}
