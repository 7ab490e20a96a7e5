// Shared building blocks: links, the page frame, forms whose fields show
// the API's userErrors next to them, data loading, tables, badges, the
// once-only secret box and a Chart.js canvas.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { navigate } from './router.js';
import { t as ct } from './i18n.js';
import { ApiError, gql } from './api.js';

export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={onClick} {...rest}>{children}</a>;
}

// errorText turns a thrown error into a sentence for the user, never
// internal detail.
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.code === 'NETWORK') return ct('error.network');
    const key = `error.${err.code}`;
    const s = ct(key);
    return s === key ? ct('error.generic') : s;
  }
  return ct('error.generic');
}

// fieldKey maps a userError's field path (["input","settings","url"]) to
// the name a <Field> uses ("settings.url"); "input" is dropped.
export function fieldKey(path) {
  if (!path || path.length === 0) return '';
  const p = path[0] === 'input' ? path.slice(1) : path;
  return p.join('.');
}

// useForm keeps a form's values and the errors to show. submit(fn) runs
// fn(values); fn returns the payload's userErrors (or throws), which land
// next to their fields; the values are kept whatever happens.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const names = useRef(new Set());
  names.current = new Set();
  const set = useCallback((name, v) => setValues((old) => ({ ...old, [name]: v })), []);
  const submit = async (fn) => {
    setBusy(true); setFormError(''); setErrors({});
    try {
      const userErrors = (await fn(values)) || [];
      const byField = {};
      const rest = [];
      for (const ue of userErrors) {
        const k = fieldKey(ue.field);
        if (k && names.current.has(k)) (byField[k] ||= []).push(ue.message);
        else rest.push(ue.message);
      }
      setErrors(byField);
      if (rest.length) setFormError(rest.join(' '));
      else if (userErrors.length) setFormError(ct('error.form'));
      return userErrors.length === 0;
    } catch (err) {
      setFormError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { values, set, setValues, errors, setErrors, formError, setFormError, busy, submit, names: names.current };
}

// Field is a labelled input bound to form.values[name], showing the
// userErrors whose field is name. type "select" takes options [{value,label}].
export function Field({ form, name, label, type = 'text', hint, options, validate, ...rest }) {
  form.names.add(name);
  const id = `f-${name.replace(/\W/g, '-')}`;
  const value = form.values[name] ?? '';
  const local = validate ? validate(value) : '';
  const errs = form.errors[name] || [];
  const invalid = errs.length > 0 || !!local;
  const onInput = (e) => form.set(name, type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value);
  let control;
  if (type === 'select') {
    control = (
      <select id={id} name={name} value={value} onChange={onInput} aria-invalid={invalid} {...rest}>
        {options.map((o) => <option value={o.value} disabled={o.disabled}>{o.label}</option>)}
      </select>
    );
  } else if (type === 'checkbox') {
    control = <input id={id} name={name} type="checkbox" checked={!!form.values[name]} onChange={onInput} {...rest} />;
  } else if (type === 'textarea') {
    control = <textarea id={id} name={name} value={value} onInput={onInput} aria-invalid={invalid} {...rest} />;
  } else {
    control = <input id={id} name={name} type={type} value={value} onInput={onInput} aria-invalid={invalid} aria-describedby={`${id}-msg`} {...rest} />;
  }
  return (
    <div class={`field${invalid ? ' invalid' : ''}${type === 'checkbox' ? ' check' : ''}`}>
      <label for={id}>{label}</label>
      {control}
      {hint && !invalid && <small class="hint">{hint}</small>}
      <div id={`${id}-msg`} class="field-errors" role="alert" data-field-error={name}>
        {local && <span>{local}</span>}
        {errs.map((m) => <span>{m}</span>)}
      </div>
    </div>
  );
}

// FormErrors shows what belongs to no field; put it just above the buttons.
export function FormErrors({ form }) {
  if (!form.formError) return null;
  return <p class="form-error" role="alert" data-testid="form-error">{form.formError}</p>;
}

export function Submit({ form, children, ...rest }) {
  return <button type="submit" class="primary" disabled={form.busy} {...rest}>{form.busy ? ct('state.saving') : children}</button>;
}

// useQuery loads data once per deps change: {data, error, loading, reload}.
export function useQuery(query, variables, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    gql(query, variables).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

// Loaded renders children(data) once loaded, else a spinner or the error.
export function Loaded({ q, children }) {
  if (q.error) return <div class="banner error" role="alert">{errorText(q.error)} <button onClick={q.reload}>{ct('action.reload')}</button></div>;
  if (!q.data) return <p class="muted" aria-busy="true">{ct('state.loading')}</p>;
  return children(q.data);
}

export function Page({ title, actions, children }) {
  useEffect(() => { document.title = `${title} — renkei`; }, [title]);
  return (
    <section class="page">
      <header class="page-head"><h1>{title}</h1>{actions && <div class="actions">{actions}</div>}</header>
      {children}
    </section>
  );
}

export function Badge({ kind = 'neutral', children, ...rest }) {
  return <span class={`badge ${kind}`} {...rest}>{children}</span>;
}

export function Empty({ children }) {
  return <p class="empty">{children || ct('state.empty')}</p>;
}

// SecretOnce shows a secret the API returns one time, with a copy button;
// the caller drops it from state when the box is closed.
export function SecretOnce({ label, value, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(value); setCopied(true); } catch { /* select it by hand */ }
  };
  return (
    <div class="secret-once" role="dialog" aria-label={label} data-testid="secret-once">
      <strong>{label}</strong>
      <p class="warn">{ct('secret.once')}</p>
      <code data-testid="secret-value">{value}</code>
      <div class="row">
        <button type="button" onClick={copy}>{copied ? ct('action.copied') : ct('action.copy')}</button>
        <button type="button" class="primary" onClick={onClose}>{ct('action.close')}</button>
      </div>
    </div>
  );
}
