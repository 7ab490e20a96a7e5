// A tiny observable value, and a hook that re-renders a component when it
// changes: enough state management for a console of forms and tables.
import { useEffect, useState } from 'preact/hooks';

export function signal(value) {
  const subs = new Set();
  return {
    get: () => value,
    set(v) { value = v; for (const f of [...subs]) f(v); },
    subscribe(f) { subs.add(f); return () => subs.delete(f); },
  };
}

export function useSignal(s) {
  const [, force] = useState(0);
  const seen = s.get();
  useEffect(() => {
    const unsubscribe = s.subscribe(() => force((n) => n + 1));
    // A change between this render and the subscription (effects run after
    // a frame, and a background tab draws none) would otherwise be missed:
    // the console would stay on its loading screen.
    if (s.get() !== seen) force((n) => n + 1);
    return unsubscribe;
  }, [s]);
  return seen;
}
