// Pieces the administration pages (staff, registers, API keys, gift cards,
// timecards) share: a confirming button for what cannot be undone, the
// OWNER check, and a loader for reads that take more than one request.
import { useEffect, useState } from 'preact/hooks';
import { messages } from '../i18n.js';
import { errorText } from '../ui.jsx';

const t = messages({
  ja: { no: 'やめる', working: '処理中…' },
  en: { no: 'Keep it', working: 'Working…' },
});

// ConfirmButton: the first press asks in place, the second does it (no
// window.confirm, which a tablet's browser may suppress and a browser test
// cannot see). run() resolves to the payload's userErrors ([] when done) or throws; the
// messages show beside the button. testid names the first button; the
// confirming one is testid + "-confirm".
export function ConfirmButton({ label, question, confirmLabel, run, testid, onDone }) {
  const [step, setStep] = useState('idle');
  const [err, setErr] = useState('');
  const go = async () => {
    setStep('busy'); setErr('');
    try {
      const errs = (await run()) || [];
      if (errs.length) { setErr(errs.map((e) => e.message).join(' ')); setStep('ask'); return; }
      setStep('idle');
      onDone?.();
    } catch (e) {
      setErr(errorText(e)); setStep('ask');
    }
  };
  if (step === 'idle') {
    return <button type="button" class="danger" data-testid={testid} onClick={() => setStep('ask')}>{label}</button>;
  }
  return (
    <div class="confirm" role="group" aria-label={question}>
      <span class="confirm-q">{question}</span>
      <button type="button" class="danger" disabled={step === 'busy'} data-testid={`${testid}-confirm`} onClick={go}>{step === 'busy' ? t('working') : confirmLabel || label}</button>
      <button type="button" disabled={step === 'busy'} onClick={() => { setStep('idle'); setErr(''); }}>{t('no')}</button>
      {err && <span class="form-error" role="alert">{err}</span>}
    </div>
  );
}

// isOwner: staff, API keys, locations and registers are the OWNER's to
// change (docs/api.md, Roles and scopes); a MANAGER reads what it may.
export const isOwner = (s) => s?.user?.role === 'OWNER';

// useLoad is useQuery for a function returning a promise (several
// requests): {data, error, loading, reload}, for <Loaded q>.
export function useLoad(fn, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}
