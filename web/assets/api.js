// The same-origin JSON API, and the session token: in memory and in this tab's
// sessionStorage only (gone when the tab closes; never in a URL or in localStorage).
const KEY = "hamta.session";
let session = null;
let onSessionLost = () => {};

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = (body && body.error) || {};
    super(error.message || "خطایی رخ داد. دوباره تلاش کنید.");
    this.status = status;
    this.code = error.code || "error";
    this.field = error.field || null;
    const wait = Number(body?.retry_after ?? retryAfter);
    this.retryAfter = Number.isFinite(wait) && wait > 0 ? wait : null;
  }
}

export function loadSession() {
  try {
    session = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    session = null;
  }
  return session;
}

export function currentSession() {
  return session;
}

export function saveSession(value) {
  session = value;
  try {
    if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage refused (private mode): the session lives in memory for this page
  }
}

export function whenSessionLost(handler) {
  onSessionLost = handler;
}

/** One call of the API; resolves with the JSON body (null for 204), or throws ApiError. */
export async function call(method, path, body) {
  // Persian messages whatever language the browser asks for: the page is Persian.
  const headers = { Accept: "application/json", "Accept-Language": "fa" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session?.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit", redirect: "error",
    });
  } catch {
    throw new ApiError(0, { error: { code: "network",
      message: "ارتباط با سامانه برقرار نشد. اتصال اینترنت را بررسی کنید و دوباره تلاش کنید." } });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data, response.headers.get("Retry-After"));
    if (error.code === "unauthorized" && session) {
      saveSession(null);
      onSessionLost();
    }
    throw error;
  }
  return data;
}

export const imeiPath = (imei) => encodeURIComponent(imei);
