// The connect forms of the integrations page: a webhook (its signing
// secret shown once) and a Shopify shop (its SKU report shown after).
// freee connects through its consent screen instead: freee.jsx.
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { messages } from '../i18n.js';
import { Field, FormErrors, Link, SecretOnce, Submit, useForm } from '../ui.jsx';
import { FieldErrors, Warnings, fitErrors, t as it } from './integrations-shared.jsx';

const t = messages({
  ja: {
    name: '連携の名前', 'wh.name': 'Webhook', 'wh.url': '送信先 URL', 'wh.url.hint': 'https:// で始まる受信側の URL。イベントごとに署名付きで POST します。',
    'wh.events': '送信するイベント', 'wh.submit': 'Webhook を接続', 'wh.secret': '署名シークレット（Renkei-Signature の検証用）',
    'wh.connected': '「{name}」を接続しました。',
    'ev.order.completed': '販売（order.completed）', 'ev.order.refunded': '返品・返金（order.refunded）',
    'ev.inventory.changed': '在庫の変動（inventory.changed）', 'ev.register.closed': 'レジ締め（register.closed）',
    'ev.customer.created': '顧客の登録（customer.created）', 'ev.timecard.closed': '勤怠の確定（timecard.closed）',
    'ev.gift_card.activity': 'ギフトカードの入金・利用（gift_card.activity）',
    'sh.name': 'オンラインショップ', 'sh.shopDomain': 'ショップのドメイン', 'sh.shopDomain.hint': '例: my-shop.myshopify.com（独自ドメインではなく myshopify.com のもの）',
    'sh.accessToken': 'Admin API アクセストークン', 'sh.accessToken.hint': 'カスタムアプリの「API認証情報」に表示される shpat_… の値',
    'sh.webhookSecret': 'Webhook 署名シークレット', 'sh.webhookSecret.hint': 'カスタムアプリの API シークレットキー（注文 Webhook の署名用）',
    'sh.locations': '店舗の対応付け', 'sh.locations.hint': 'renkei の店舗ごとに Shopify のロケーション ID（数字）か gid://shopify/Location/… を入力します。空欄の店舗は連携しません。',
    'sh.noLocations': '先に店舗を登録してください。', 'sh.orderLocationId': 'オンライン注文の在庫を引き当てる店舗',
    'sh.advanced': '詳細設定（ローカル環境でのテスト用）', 'sh.apiBaseUrl': 'API ベース URL', 'sh.apiBaseUrl.hint': 'ローカル環境（make run）でのみ使えます。本番では空欄にしてください。',
    'sh.submit': 'Shopify を接続', 'sh.connected': '「{name}」を接続しました。', 'sh.webhook': 'Shopify の「注文作成」Webhook に次の URL を登録してください（形式 JSON、API バージョン 2025-01）:',
    'sh.open': '連携の状態を見る', 'choose': '選択してください',
  },
  en: {
    name: 'Integration name', 'wh.name': 'Webhook', 'wh.url': 'Endpoint URL', 'wh.url.hint': 'The receiver\'s https:// URL. Each event is POSTed to it, signed.',
    'wh.events': 'Events to send', 'wh.submit': 'Connect webhook', 'wh.secret': 'Signing secret (to verify Renkei-Signature)',
    'wh.connected': 'Connected "{name}".',
    'ev.order.completed': 'Sales (order.completed)', 'ev.order.refunded': 'Refunds (order.refunded)',
    'ev.inventory.changed': 'Stock changes (inventory.changed)', 'ev.register.closed': 'Register closes (register.closed)',
    'ev.customer.created': 'New customers (customer.created)', 'ev.timecard.closed': 'Closed shifts (timecard.closed)',
    'ev.gift_card.activity': 'Gift card loads and redemptions (gift_card.activity)',
    'sh.name': 'Online shop', 'sh.shopDomain': 'Shop domain', 'sh.shopDomain.hint': 'e.g. my-shop.myshopify.com (the myshopify.com one, not a custom domain)',
    'sh.accessToken': 'Admin API access token', 'sh.accessToken.hint': 'The shpat_… value under the custom app\'s API credentials',
    'sh.webhookSecret': 'Webhook signing secret', 'sh.webhookSecret.hint': 'The custom app\'s API secret key (signs the order webhook)',
    'sh.locations': 'Locations', 'sh.locations.hint': 'For each renkei location, the Shopify location id (a number) or gid://shopify/Location/…. Locations left empty are not synced.',
    'sh.noLocations': 'Add a location first.', 'sh.orderLocationId': 'Location whose stock online orders take',
    'sh.advanced': 'Advanced (local testing)', 'sh.apiBaseUrl': 'API base URL', 'sh.apiBaseUrl.hint': 'Only accepted in local mode (make run). Leave empty in production.',
    'sh.submit': 'Connect Shopify', 'sh.connected': 'Connected "{name}".', 'sh.webhook': 'Register this URL as Shopify\'s "Order creation" webhook (format JSON, API version 2025-01):',
    'sh.open': 'See its health', 'choose': 'Choose…',
  },
});

// The event types a webhook may subscribe to (shared/connectors/webhook).
export const EVENTS = ['order.completed', 'order.refunded', 'inventory.changed', 'register.closed', 'customer.created', 'timecard.closed', 'gift_card.activity'];

const PAYLOAD = `integration { id name provider status settings warnings { code message items count } } signingSecret userErrors { field message code }`;
const CONNECT = `mutation($input: ConnectIntegrationInput!) { connectIntegration(input: $input) { ${PAYLOAD} } }`;

async function connect(form, provider, name, settings) {
  const r = (await gql(CONNECT, { input: { provider, name, settings } })).connectIntegration;
  return { r, errors: fitErrors(form, r.userErrors) };
}

export function WebhookConnect({ onConnected }) {
  const form = useForm({ name: t('wh.name'), 'settings.url': '', 'settings.events': ['order.completed'] });
  const [done, setDone] = useState(null); // {name, secret}: kept only until closed
  const events = form.values['settings.events'];
  const toggle = (e) => form.set('settings.events', events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  const onSubmit = async (e) => {
    e.preventDefault();
    let result;
    const ok = await form.submit(async (v) => {
      const { r, errors } = await connect(form, 'WEBHOOK', v.name.trim(), { url: v['settings.url'].trim(), events: EVENTS.filter((x) => v['settings.events'].includes(x)) });
      result = r;
      return errors;
    });
    if (ok) {
      setDone({ name: result.integration.name, secret: result.signingSecret });
      form.setValues({ name: t('wh.name'), 'settings.url': '', 'settings.events': ['order.completed'] });
      onConnected?.(result.integration);
    }
  };
  if (done) {
    return (
      <div data-testid="webhook-connected">
        <p class="ok" role="status">{t('wh.connected', { name: done.name })}</p>
        <SecretOnce label={t('wh.secret')} value={done.secret} onClose={() => setDone(null)} />
      </div>
    );
  }
  return (
    <form class="connect-form" onSubmit={onSubmit} data-testid="webhook-form" novalidate>
      <Field form={form} name="name" label={t('name')} required maxlength="100" />
      <Field form={form} name="settings.url" label={t('wh.url')} type="url" hint={t('wh.url.hint')} placeholder="https://erp.example.com/hooks/renkei" data-testid="webhook-url" required />
      <fieldset class="events">
        <legend>{t('wh.events')}</legend>
        {EVENTS.map((ev) => (
          <label class="check-row">
            <input type="checkbox" name="settings.events" value={ev} checked={events.includes(ev)} onChange={() => toggle(ev)} data-testid={`webhook-event-${ev}`} />
            {t(`ev.${ev}`)}
          </label>
        ))}
        <FieldErrors form={form} name="settings.events" />
      </fieldset>
      <FormErrors form={form} />
      <Submit form={form} data-testid="webhook-connect-submit">{t('wh.submit')}</Submit>
    </form>
  );
}

// asGid accepts Shopify's location number as shown in its admin URL.
const asGid = (s) => (/^\d+$/.test(s) ? `gid://shopify/Location/${s}` : s);

export function ShopifyConnect({ locations, onConnected }) {
  const initial = { name: t('sh.name'), 'settings.shopDomain': '', 'settings.accessToken': '', 'settings.webhookSecret': '', 'settings.orderLocationId': '', 'settings.apiBaseUrl': '' };
  for (const l of locations) initial[`settings.locationMap.${l.id}`] = '';
  const form = useForm(initial);
  const [done, setDone] = useState(null);
  const v = form.values;
  const mapped = locations.filter((l) => (v[`settings.locationMap.${l.id}`] || '').trim());
  const onSubmit = async (e) => {
    e.preventDefault();
    let result;
    const ok = await form.submit(async (v) => {
      const locationMap = {};
      for (const l of locations) {
        const gid = (v[`settings.locationMap.${l.id}`] || '').trim();
        if (gid) locationMap[l.id] = asGid(gid);
      }
      // An empty input is left out, so the API says it is required.
      const settings = { locationMap };
      for (const k of ['shopDomain', 'accessToken', 'webhookSecret']) if (v[`settings.${k}`].trim()) settings[k] = v[`settings.${k}`].trim();
      if (mapped.length > 1 && v['settings.orderLocationId']) settings.orderLocationId = v['settings.orderLocationId'];
      if (v['settings.apiBaseUrl'].trim()) settings.apiBaseUrl = v['settings.apiBaseUrl'].trim();
      const { r, errors } = await connect(form, 'SHOPIFY', v.name.trim(), settings);
      result = r;
      return errors;
    });
    if (ok) {
      setDone(result.integration);
      form.setValues(initial); // the token leaves the page's state
      onConnected?.(result.integration);
    }
  };
  if (done) {
    return (
      <div data-testid="shopify-connected">
        <p class="ok" role="status">{t('sh.connected', { name: done.name })}</p>
        <p>{t('sh.webhook')}</p>
        <code class="copyable" data-testid="shopify-webhook-url">{`${location.origin}/webhooks/shopify/${done.id}`}</code>
        <h3>{it('w.title')}</h3>
        <Warnings warnings={done.warnings} />
        <div class="row">
          <Link href={`/integrations/${done.id}`} class="button">{t('sh.open')}</Link>
        </div>
      </div>
    );
  }
  return (
    <form class="connect-form" onSubmit={onSubmit} data-testid="shopify-form" novalidate autocomplete="off">
      <Field form={form} name="name" label={t('name')} required maxlength="100" />
      <Field form={form} name="settings.shopDomain" label={t('sh.shopDomain')} hint={t('sh.shopDomain.hint')} placeholder="my-shop.myshopify.com" data-testid="shopify-domain" required />
      <Field form={form} name="settings.accessToken" type="password" label={t('sh.accessToken')} hint={t('sh.accessToken.hint')} autocomplete="new-password" data-testid="shopify-token" required />
      <Field form={form} name="settings.webhookSecret" type="password" label={t('sh.webhookSecret')} hint={t('sh.webhookSecret.hint')} autocomplete="new-password" data-testid="shopify-webhook-secret" required />
      <fieldset class="mapping">
        <legend>{t('sh.locations')}</legend>
        <p class="muted">{t('sh.locations.hint')}</p>
        {locations.length === 0 && <p class="banner warn">{t('sh.noLocations')}</p>}
        {locations.map((l) => (
          <Field form={form} name={`settings.locationMap.${l.id}`} label={l.name} placeholder="gid://shopify/Location/76543210" data-testid="shopify-location" data-location-id={l.id} />
        ))}
        <FieldErrors form={form} name="settings.locationMap" />
      </fieldset>
      {mapped.length > 1 && (
        <Field form={form} name="settings.orderLocationId" type="select" label={t('sh.orderLocationId')}
          options={[{ value: '', label: t('choose') }, ...mapped.map((l) => ({ value: l.id, label: l.name }))]} data-testid="shopify-order-location" />
      )}
      <details class="advanced" open={!!form.errors['settings.apiBaseUrl'] || !!v['settings.apiBaseUrl'] || undefined}>
        <summary>{t('sh.advanced')}</summary>
        <Field form={form} name="settings.apiBaseUrl" type="url" label={t('sh.apiBaseUrl')} hint={t('sh.apiBaseUrl.hint')} placeholder="http://127.0.0.1:8181" data-testid="shopify-api-base-url" />
      </details>
      <FormErrors form={form} />
      <Submit form={form} data-testid="shopify-connect-submit">{t('sh.submit')}</Submit>
    </form>
  );
}
