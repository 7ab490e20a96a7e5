// API keys (APIキー): the tenant's keys with their scopes and register,
// creating one (its secret shown once, here, and never again) and revoking
// one. The API lets only the OWNER do any of it.
import { useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { dateTime, messages } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Badge, Empty, Field, FormErrors, Loaded, Page, SecretOnce, Submit, useForm, useQuery } from '../ui.jsx';
import { ConfirmButton, isOwner, useLoad } from './admin.jsx';
import { loadRegisters } from './registers.jsx';

const SCOPES = ['CATALOG_READ', 'CATALOG_WRITE', 'INVENTORY_READ', 'INVENTORY_WRITE', 'ORDERS_READ', 'ORDERS_WRITE', 'CUSTOMERS_READ', 'CUSTOMERS_WRITE', 'REPORTS_READ', 'TIMECARDS_CLOCK'];

const t = messages({
  ja: {
    title: 'APIキー', lead: '外部のシステムや共用レジの端末が API を使うための鍵です。必要な権限だけを選んでください。APIキーでスタッフ・設定・連携の管理はできません。',
    ownerOnly: 'APIキーの表示・作成・失効はオーナーのみ行えます。',
    'col.name': '名前', 'col.scopes': '権限', 'col.register': 'レジ', 'col.created': '作成日時', 'col.state': '状態', 'col.actions': '操作',
    active: '有効', revoked: '失効（{at}）', anyLocation: 'すべての店舗',
    revoke: '失効', 'revoke.q': '「{name}」を失効させますか？ このキーを使うシステムや端末はすぐに API を使えなくなります（元に戻せません）。', 'revoke.yes': '失効させる',
    'new.title': 'APIキーを作成', 'f.name': '名前', 'f.name.hint': '用途がわかる名前（例: 会計連携、レジ2の打刻端末）',
    'f.scopes': '権限',
    'f.registerId': 'レジに紐付ける（任意）', 'f.registerId.none': '紐付けない（すべての店舗）',
    'f.registerId.hint': '紐付けたキーはそのレジの店舗でだけ使え、販売はそのレジの売上になります。端末ごとのキーに使います。',
    'new.submit': 'APIキーを作成', 'secret.label': '「{name}」のシークレット',
    'scope.CATALOG_READ': '商品・価格の読み取り',
    'scope.CATALOG_WRITE': '商品・価格の登録と編集（読み取りを含む）',
    'scope.INVENTORY_READ': '在庫数の読み取り',
    'scope.INVENTORY_WRITE': '在庫の調整・移動（読み取りを含む）',
    'scope.ORDERS_READ': '注文（売上）の読み取りとギフトカードの照会',
    'scope.ORDERS_WRITE': '販売・返金・ギフトカードの発行（注文の読み取りを含む）',
    'scope.CUSTOMERS_READ': '顧客情報の読み取り',
    'scope.CUSTOMERS_WRITE': '顧客の登録と編集（読み取りを含む）',
    'scope.REPORTS_READ': '売上集計とギフトカード未使用残高の読み取り',
    'scope.TIMECARDS_CLOCK': '共用レジでのパスコードによる出退勤の打刻（勤怠の閲覧はできません）',
  },
  en: {
    title: 'API keys', lead: 'Keys other systems and shared register devices use to call the API. Choose only the scopes they need. A key never administers staff, settings or integrations.',
    ownerOnly: 'Only the owner can see, create and revoke API keys.',
    'col.name': 'Name', 'col.scopes': 'Scopes', 'col.register': 'Register', 'col.created': 'Created', 'col.state': 'State', 'col.actions': 'Actions',
    active: 'Active', revoked: 'Revoked ({at})', anyLocation: 'All locations',
    revoke: 'Revoke', 'revoke.q': 'Revoke "{name}"? Systems and devices using it lose access at once. This cannot be undone.', 'revoke.yes': 'Revoke',
    'new.title': 'Create an API key', 'f.name': 'Name', 'f.name.hint': 'Say what it is for (e.g. accounting sync, register 2 clock device)',
    'f.scopes': 'Scopes',
    'f.registerId': 'Bind to a register (optional)', 'f.registerId.none': 'Not bound (all locations)',
    'f.registerId.hint': 'A bound key acts only at the register\'s location and its sales are that register\'s: one key per device.',
    'new.submit': 'Create API key', 'secret.label': 'Secret of "{name}"',
    'scope.CATALOG_READ': 'Read items and prices',
    'scope.CATALOG_WRITE': 'Create and edit items (includes reading)',
    'scope.INVENTORY_READ': 'Read stock levels',
    'scope.INVENTORY_WRITE': 'Adjust and transfer stock (includes reading)',
    'scope.ORDERS_READ': 'Read orders and look up gift cards',
    'scope.ORDERS_WRITE': 'Sell, refund and issue gift cards (includes reading orders)',
    'scope.CUSTOMERS_READ': 'Read customers',
    'scope.CUSTOMERS_WRITE': 'Create and edit customers (includes reading)',
    'scope.REPORTS_READ': 'Read sales summaries and the gift card liability',
    'scope.TIMECARDS_CLOCK': 'Clock staff in and out by passcode on a shared register (reads no timecards)',
  },
});

const KEY_FIELDS = 'id name scopes createdAt revokedAt register { id number name location { id name } }';

function KeysTable({ keys, reload }) {
  const tz = useSignal(session)?.tenant?.timezone;
  const revoke = (k) => async () => (await gql(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id revokedAt } userErrors { field message code } } }`, { input: { id: k.id } })).revokeApiKey.userErrors;
  if (keys.length === 0) return <Empty />;
  return (
    <div class="table-wrap">
      <table data-testid="apikeys-table">
        <thead><tr><th>{t('col.name')}</th><th>{t('col.scopes')}</th><th>{t('col.register')}</th><th>{t('col.created')}</th><th>{t('col.state')}</th><th>{t('col.actions')}</th></tr></thead>
        <tbody>
          {keys.map((k) => (
            <tr data-testid="apikey-row" data-apikey-id={k.id} data-revoked={k.revokedAt ? 'true' : 'false'}>
              <td>{k.name}</td>
              <td><ul class="scope-list">{k.scopes.map((s) => <li title={t(`scope.${s}`)}><code>{s}</code></li>)}</ul></td>
              <td>{k.register ? `${k.register.location.name} / ${k.register.number}. ${k.register.name}` : <span class="muted">{t('anyLocation')}</span>}</td>
              <td>{dateTime(k.createdAt, tz)}</td>
              <td>{k.revokedAt ? <Badge kind="neutral">{t('revoked', { at: dateTime(k.revokedAt, tz) })}</Badge> : <Badge kind="ok">{t('active')}</Badge>}</td>
              <td>{!k.revokedAt && <ConfirmButton label={t('revoke')} confirmLabel={t('revoke.yes')} question={t('revoke.q', { name: k.name })} testid="apikey-revoke" run={revoke(k)} onDone={reload} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// registerOptions: the active POS registers, the only ones a key binds to.
function useRegisterOptions(locations) {
  const ids = locations.map((l) => l.id);
  const q = useLoad(() => loadRegisters(ids), [ids.join(',')]);
  const opts = [{ value: '', label: t('f.registerId.none') }];
  for (const l of locations) {
    for (const r of q.data?.[l.id] || []) {
      if (r.kind === 'POS' && r.active) opts.push({ value: r.id, label: `${l.name} / ${r.number}. ${r.name}` });
    }
  }
  return opts;
}

function CreateKey({ locations, onCreated }) {
  const form = useForm({ name: '', scopes: [], registerId: '' });
  form.names.add('scopes');
  const options = useRegisterOptions(locations);
  const onSubmit = async (e) => {
    e.preventDefault();
    let made = null;
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name } secret userErrors { field message code } } }`,
        { input: { name: v.name.trim(), scopes: v.scopes, registerId: v.registerId || null } })).createApiKey;
      made = r;
      return r.userErrors;
    });
    if (ok) {
      form.setValues({ name: '', scopes: [], registerId: '' });
      onCreated({ name: made.apiKey.name, secret: made.secret });
    }
  };
  const toggle = (s) => (e) => {
    const on = e.currentTarget.checked;
    form.set('scopes', on ? [...form.values.scopes, s] : form.values.scopes.filter((x) => x !== s));
  };
  const scopeErrors = Object.entries(form.errors).filter(([k]) => k === 'scopes' || k.startsWith('scopes.')).flatMap(([, m]) => m);
  for (let i = 0; i < form.values.scopes.length; i++) form.names.add(`scopes.${i}`);
  return (
    <form class="card" onSubmit={onSubmit} data-testid="apikey-create-form" novalidate>
      <h2>{t('new.title')}</h2>
      <Field form={form} name="name" label={t('f.name')} hint={t('f.name.hint')} maxlength="200" required />
      <fieldset class={`checks columns${scopeErrors.length ? ' invalid' : ''}`} data-testid="apikey-scopes">
        <legend>{t('f.scopes')}</legend>
        {SCOPES.map((s) => (
          <label class="check-item scope">
            <input type="checkbox" name="scopes" value={s} checked={form.values.scopes.includes(s)} onChange={toggle(s)} data-testid={`scope-${s}`} />
            <span><code>{s}</code><br /><small>{t(`scope.${s}`)}</small></span>
          </label>
        ))}
        <div class="field-errors" role="alert" data-field-error="scopes">{scopeErrors.map((m) => <span>{m}</span>)}</div>
      </fieldset>
      <Field form={form} name="registerId" type="select" label={t('f.registerId')} hint={t('f.registerId.hint')} options={options} />
      <FormErrors form={form} />
      <Submit form={form} data-testid="apikey-create-submit">{t('new.submit')}</Submit>
    </form>
  );
}

function Keys() {
  const q = useQuery(`{ apiKeys { ${KEY_FIELDS} } locations { id name } }`, {});
  // The secret lives in this component's state only, until the box is closed.
  const [made, setMade] = useState(null);
  return (
    <>
      {made && <SecretOnce label={t('secret.label', { name: made.name })} value={made.secret} onClose={() => setMade(null)} />}
      <Loaded q={q}>{(d) => (
        <>
          <KeysTable keys={d.apiKeys} reload={q.reload} />
          <CreateKey locations={d.locations} onCreated={(m) => { setMade(m); q.reload(); }} />
        </>
      )}</Loaded>
    </>
  );
}

export function ApiKeys() {
  const s = useSignal(session);
  return (
    <Page title={t('title')}>
      <div class="admin">
      <p class="muted">{t('lead')}</p>
      {isOwner(s) ? <Keys /> : <p class="banner info" data-testid="owner-only">{t('ownerOnly')}</p>}
      </div>
    </Page>
  );
}
