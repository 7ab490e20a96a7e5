// Client-side routing over the History API: the server answers index.html
// for every console path, and this picks the page.
import { signal, useSignal } from './signal.js';

const current = signal(location.pathname + location.search);
addEventListener('popstate', () => current.set(location.pathname + location.search));

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  current.set(to);
  scrollTo(0, 0);
}

// useRoute returns {path, query} for the current location.
export function useRoute() {
  const href = useSignal(current);
  const u = new URL(href, location.origin);
  return { path: u.pathname.replace(/\/+$/, '') || '/', query: u.searchParams };
}

// match returns the params of pattern (e.g. "/integrations/:id") on path, or null.
export function match(pattern, path) {
  const p = pattern.split('/'), a = path.split('/');
  if (p.length !== a.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return null;
  }
  return params;
}
