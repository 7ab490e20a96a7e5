// Connecting freee (OAuth authorization code): startFreee sends the browser
// to freee's consent screen with a one-time state kept in sessionStorage;
// freee sends it back to /integrations/freee/callback?code&state, where
// FreeeCallback checks the state, trades the code once (authorizeFreee),
// and has the merchant pick the company and the mapping from freee's own
// masters before connectIntegration consumes the authorization.
import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api.js';
import { messages } from '../i18n.js';
import { navigate, useRoute } from '../router.js';
import { Field, Link, Loaded, Page, errorText, useForm, useQuery } from '../ui.jsx';
import { FreeeMapping, guessValues, useOptions } from './integrations-freee.jsx';

const t = messages({
  ja: {
    title: 'freee会計と連携', connect: 'freee と連携', starting: 'freee に移動しています…',
    'err.state': 'この連携リクエストは確認できませんでした（別のタブやブラウザで開始されたか、期限切れです）。もう一度「freee と連携」からやり直してください。',
    'err.denied': 'freee で連携が許可されませんでした。', 'err.noCode': 'freee からの応答に認可コードがありません。',
    'err.options': 'freee から勘定科目などを読み込めませんでした。', 'err.reauth': 'freee の認可が無効になりました。もう一度連携してください。',
    again: 'もう一度連携する', back: '連携の一覧へ', authorizing: 'freee の認可を確認しています…',
    company: '連携する事業所', name: '連携の名前', defaultName: 'freee会計', load: '勘定科目・税区分・口座を読み込む',
    'mapping.lead': '売上を freee のどの勘定科目・税区分・口座に記帳するかを選んでください。選択肢は freee の事業所から読み込んだものです。',
    submit: 'この設定で連携する', connected: '連携しました。',
  },
  en: {
    title: 'Connect freee Accounting', connect: 'Connect freee', starting: 'Going to freee…',
    'err.state': 'This connection request could not be verified (it was started in another tab or browser, or has expired). Start again with "Connect freee".',
    'err.denied': 'freee did not grant access.', 'err.noCode': 'freee\'s answer has no authorization code.',
    'err.options': 'Could not read the account items etc. from freee.', 'err.reauth': 'freee no longer accepts this authorization. Connect again.',
    again: 'Connect again', back: 'Back to integrations', authorizing: 'Checking the authorization with freee…',
    company: 'Company (事業所)', name: 'Integration name', defaultName: 'freee', load: 'Load account items, taxes and accounts',
    'mapping.lead': 'Choose where in freee the sales are booked: account item, tax codes and accounts. The choices are read from the freee company.',
    submit: 'Connect with this mapping', connected: 'Connected.',
  },
});

const STATE_KEY = 'renkei.freee.oauth';
const STATE_TTL_MS = 30 * 60 * 1000;
export const CALLBACK_PATH = '/integrations/freee/callback';

// randomState is 24 random bytes in base64url: 32 characters.
function randomState() {
  const b = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// startFreee asks the API for freee's authorize URL and goes there.
export async function startFreee() {
  const state = randomState();
  sessionStorage.setItem(STATE_KEY, JSON.stringify({ state, at: Date.now() }));
  const redirectUri = location.origin + CALLBACK_PATH;
  const d = await gql(`query($redirectUri: String!, $state: String!) { freeeAuthorizationUrl(redirectUri: $redirectUri, state: $state) }`, { redirectUri, state });
  location.assign(d.freeeAuthorizationUrl);
}

// ConnectFreeeButton starts the flow; errors show beside it.
export function ConnectFreeeButton() {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const go = async () => {
    setBusy(true); setErr('');
    try { await startFreee(); } catch (e) { setErr(errorText(e)); setBusy(false); }
  };
  return (
    <>
      <button type="button" class="primary" onClick={go} disabled={busy} data-testid="connect-freee">{busy ? t('starting') : t('connect')}</button>
      {err && <p class="form-error" role="alert" data-testid="freee-start-error">{err}</p>}
    </>
  );
}

// takeState returns whether state is the one this tab sent, and forgets it.
function takeState(state) {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(STATE_KEY) || 'null'); } catch { /* unreadable: no match */ }
  sessionStorage.removeItem(STATE_KEY);
  return !!saved && typeof state === 'string' && saved.state === state && Date.now() - saved.at < STATE_TTL_MS;
}

const AUTHORIZE = `mutation($input: AuthorizeFreeeInput!) { authorizeFreee(input: $input) {
  authorization { id companies { id name displayName } } userErrors { field message code } } }`;

// One exchange per code, whatever re-renders or re-mounts the page: a
// code works once.
let exchange = null;

function authorizeOnce(code, state) {
  if (exchange?.code === code) return exchange.promise;
  const promise = (async () => {
    if (!takeState(state)) return { error: t('err.state') };
    const r = (await gql(AUTHORIZE, { input: { code, redirectUri: location.origin + CALLBACK_PATH } })).authorizeFreee;
    if (r.userErrors.length) return { error: r.userErrors.map((u) => u.message).join(' ') };
    return { authorization: r.authorization };
  })().catch((e) => ({ error: errorText(e) }));
  exchange = { code, promise };
  return promise;
}

export function FreeeCallback() {
  const { query } = useRoute();
  const code = query.get('code'), state = query.get('state'), denied = query.get('error');
  // Back on this page after the exchange (the code already out of the URL).
  const [res, setRes] = useState(exchange?.result && (!code || exchange.code === code) ? exchange.result : null);
  useEffect(() => {
    if (res) return;
    if (denied || !code) {
      takeState(null);
      setRes({ error: denied ? t('err.denied') : t('err.noCode') });
      return;
    }
    let live = true;
    const mine = authorizeOnce(code, state);
    const entry = exchange;
    mine.then((r) => {
      entry.result = r;
      // The code is spent: keep it out of the address bar and history.
      history.replaceState(null, '', CALLBACK_PATH);
      if (live) setRes(r);
    });
    return () => { live = false; };
  }, []);
  return (
    <Page title={t('title')}>
      {!res && <p class="muted" aria-busy="true">{t('authorizing')}</p>}
      {res?.error && (
        <div class="banner error" role="alert" data-testid="freee-callback-error">
          <p>{res.error}</p>
          <div class="row"><ConnectFreeeButton /><Link href="/integrations" class="button">{t('back')}</Link></div>
        </div>
      )}
      {res?.authorization && <ChooseMapping authorization={res.authorization} />}
    </Page>
  );
}

const CONNECT = `mutation($input: ConnectIntegrationInput!) { connectIntegration(input: $input) {
  integration { id } userErrors { field message code } } }`;

function ChooseMapping({ authorization }) {
  const companies = authorization.companies;
  const pick = useForm({ companyId: companies[0]?.id || '' });
  const opt = useOptions();
  const [loadedFor, setLoadedFor] = useState('');
  const locs = useQuery(`{ locations { id name } }`, {});
  const companyId = pick.values.companyId;
  const load = () => { setLoadedFor(companyId); opt.load({ authorizationId: authorization.id, companyId }); };
  const submit = async (settings, v) => {
    const r = (await gql(CONNECT, { input: { provider: 'FREEE', name: (v.name || '').trim(), settings: { authorizationId: authorization.id, companyId: Number(loadedFor), ...settings } } })).connectIntegration;
    if (r.userErrors.length === 0) {
      exchange = null;
      navigate(`/integrations/${r.integration.id}?connected=1`);
    }
    return r.userErrors;
  };
  return (
    <div class="card" data-testid="freee-choose">
      <form class="inline" onSubmit={(e) => { e.preventDefault(); load(); }} novalidate>
        <Field form={pick} name="companyId" type="select" label={t('company')} data-testid="freee-company"
          options={companies.map((c) => ({ value: c.id, label: c.displayName && c.displayName !== c.name ? `${c.displayName}（${c.name}）` : c.name }))} />
        <button type="submit" disabled={opt.busy || !companyId} data-testid="freee-load-options">{opt.busy ? t('state.loading') : t('load')}</button>
      </form>
      {opt.error && (
        <p class="form-error" role="alert" data-testid="freee-options-error">
          {opt.error.code === 'INVALID' ? t('err.reauth') : `${t('err.options')} ${errorText(opt.error)}`}
        </p>
      )}
      {opt.options && loadedFor === companyId && (
        <Loaded q={locs}>{(d) => (
          <>
            <p class="muted">{t('mapping.lead')}</p>
            <FreeeMapping key={loadedFor} options={opt.options} locations={d.locations}
              initial={{ name: t('defaultName'), 'settings.startDate': '', ...guessValues(opt.options) }}
              extra={(form) => <Field form={form} name="name" label={t('name')} required maxlength="100" />}
              submit={submit} submitLabel={t('submit')} />
          </>
        )}</Loaded>
      )}
    </div>
  );
}
