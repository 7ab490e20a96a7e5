// Reads that stay on screen while they reload, and the sentence for a
// failed one (the dashboard and the closes page).
import { useEffect, useState } from 'preact/hooks';
import { gql } from './api.js';
import { errorText } from './ui.jsx';

// useLive runs query with vars whenever they change or tick moves; the last
// answer stays on screen while a reload of the same vars runs, and an error
// of a reload keeps it too (the error is shown beside it).
export function useLive(query, vars, tick, skip = false) {
  const key = JSON.stringify(vars);
  const [st, setSt] = useState({ key: null, data: null, error: null, at: null });
  useEffect(() => {
    if (skip) return undefined;
    let live = true;
    gql(query, vars).then(
      (data) => live && setSt({ key, data, error: null, at: new Date().toISOString() }),
      (error) => live && setSt((s) => ({ key, data: s.key === key ? s.data : null, error, at: s.key === key ? s.at : null })),
    );
    return () => { live = false; };
  }, [query, key, tick, skip]);
  const fresh = st.key === key && !skip;
  return { data: fresh ? st.data : null, error: fresh ? st.error : null, at: fresh ? st.at : null };
}

// errorMessage: an INVALID answer's message says what to change (e.g. too
// many locations: choose one); anything else is the generic sentence.
export function errorMessage(err) {
  return err?.code === 'INVALID' && err.message ? err.message : errorText(err);
}
