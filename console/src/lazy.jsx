// lazyPage wraps a page module loaded on first use (a dynamic import that
// esbuild turns into a hashed chunk). Until it arrives the page shows the
// loading line; if it cannot be fetched (offline, or a tab left open across
// a release whose chunks were replaced) it says so and offers a reload.
import { useEffect, useState } from 'preact/hooks';
import { t } from './i18n.js';

export function lazyPage(load, name) {
  let Comp = null;
  let pending = null;
  const start = () => {
    pending ||= load().then((m) => { Comp = m[name]; }, (err) => { pending = null; throw err; });
    return pending;
  };
  return function LazyPage(props) {
    const [state, setState] = useState(Comp ? 'ready' : 'loading');
    useEffect(() => {
      if (Comp) return undefined;
      let live = true;
      start().then(() => live && setState('ready'), () => live && setState('failed'));
      return () => { live = false; };
    }, []);
    if (Comp) return <Comp {...props} />;
    if (state === 'failed') {
      return (
        <div class="banner error" role="alert" data-testid="page-load-error">
          {t('error.network')} <button type="button" onClick={() => location.reload()}>{t('action.reload')}</button>
        </div>
      );
    }
    return <p class="muted" aria-busy="true">{t('state.loading')}</p>;
  };
}
