// The console's only way to the server: GraphQL at /graphql and the cookie
// session endpoints at /auth/*. The access token lives in this module's
// memory only; the refresh token is an HttpOnly cookie scripts cannot read
// (docs/console.md). A request answered 401 refreshes the session once and
// is sent again, so a form whose token expired keeps its input.
import { signal } from './signal.js';

// session: null (logged out), or {accessToken, expiresAt, user, tenant}.
export const session = signal(null);
// booted: whether the first cookie refresh has answered.
export const booted = signal(false);

const SESSION_HEADER = { 'Renkei-Session': 'cookie' };
let refreshing = null;
let refreshTimer = 0;

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

function setSession(s) {
  clearTimeout(refreshTimer);
  session.set(s);
  if (s?.expiresAt) {
    // Refresh a minute before the access token ends (at least 10 s from now).
    const ms = Math.max(10_000, new Date(s.expiresAt).getTime() - Date.now() - 60_000);
    refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, ms);
  }
}

async function post(url, body, headers) {
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError('NETWORK', 'network', 0);
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  return { res, json };
}

// refresh trades the refresh cookie for a new access token (and a rotated
// cookie). One at a time per tab, and one at a time across tabs (Web Locks),
// so two tabs never present the same refresh token twice.
export function refresh() {
  if (!refreshing) {
    const run = async () => {
      const { res, json } = await post('/auth/refresh', {}, SESSION_HEADER);
      if (res.ok && json?.accessToken) {
        const prev = session.get();
        setSession({ accessToken: json.accessToken, expiresAt: json.expiresAt, user: json.user ?? prev?.user, tenant: { ...prev?.tenant, ...json.tenant } });
        return true;
      }
      if (res.status === 401 || res.status === 403) { setSession(null); return false; }
      throw new ApiError(json?.error?.code || 'UNAVAILABLE', json?.error?.message, res.status);
    };
    const locked = navigator.locks?.request ? () => navigator.locks.request('renkei-refresh', run) : run;
    refreshing = locked().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// boot restores a session from the cookie when the page loads.
export async function boot() {
  try {
    // The refresh answers the tenant's id and name; the pages also need its
    // time zone and currency (dates and money are shown in them).
    if (await refresh()) {
      const d = await gql(`{ me { tenant { ${TENANT_FIELDS} } } }`);
      updateTenant(d.me.tenant);
    }
  } catch { /* offline: the login page says so */ }
  booted.set(true);
}

// gql sends one GraphQL operation. It resolves to data; GraphQL errors
// reject with ApiError(code). A 401 refreshes once and retries.
export async function gql(query, variables = {}, { retried = false } = {}) {
  const s = session.get();
  const headers = s ? { Authorization: `Bearer ${s.accessToken}` } : {};
  const { res, json } = await post('/graphql', { query, variables }, headers);
  if (res.status === 401 && s && !retried) {
    if (await refresh()) return gql(query, variables, { retried: true });
    throw new ApiError('UNAUTHENTICATED', 'session ended', 401);
  }
  if (json?.errors?.length) {
    const e = json.errors[0];
    const code = e.extensions?.code || (res.status === 429 ? 'RATE_LIMITED' : 'INTERNAL');
    if (code === 'UNAUTHENTICATED') setSession(null);
    throw new ApiError(code, e.message, res.status);
  }
  if (!res.ok || !json?.data) throw new ApiError(res.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', '', res.status);
  return json.data;
}

const TENANT_FIELDS = 'id businessName currency timezone invoiceRegistrationNumber';
const SESSION_FIELDS = `accessToken expiresAt user { id name email role } tenant { ${TENANT_FIELDS} } userErrors { field message code } retryAfterSeconds`;

// startSession runs signUp or logIn in cookie mode: the refresh token goes
// into the HttpOnly cookie, never into this page.
async function startSession(mutation, inputType, input) {
  const { res, json } = await post('/graphql', {
    query: `mutation($input: ${inputType}!) { r: ${mutation}(input: $input) { ${SESSION_FIELDS} } }`,
    variables: { input },
  }, SESSION_HEADER);
  if (json?.errors?.length) throw new ApiError(json.errors[0].extensions?.code || 'INTERNAL', json.errors[0].message, res.status);
  const p = json?.data?.r;
  if (!p) throw new ApiError(res.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', '', res.status);
  if (p.userErrors.length === 0) setSession({ accessToken: p.accessToken, expiresAt: p.expiresAt, user: p.user, tenant: p.tenant });
  return p;
}

export const logIn = (input) => startSession('logIn', 'LogInInput', input);
export const signUp = (input) => startSession('signUp', 'SignUpInput', input);

// logOut revokes the session server-side (the cookie's and the access
// token's) and forgets the token here.
export async function logOut() {
  const s = session.get();
  try {
    await post('/auth/logout', {}, { ...SESSION_HEADER, ...(s ? { Authorization: `Bearer ${s.accessToken}` } : {}) });
  } finally {
    setSession(null);
  }
}

// updateTenant replaces the tenant in the session (after settings change).
export function updateTenant(tenant) {
  const s = session.get();
  if (s) session.set({ ...s, tenant: { ...s.tenant, ...tenant } });
}

// isManager: the console is for OWNER and MANAGER users.
export const isManager = (s) => s?.user && (s.user.role === 'OWNER' || s.user.role === 'MANAGER');
