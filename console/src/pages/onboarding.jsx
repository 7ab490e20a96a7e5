// The onboarding checklist after sign-up: first location and registers,
// invoice registration number, first items, card payments (Stripe's hosted
// onboarding and its return), integrations. Each step is done when the API
// says so, and can be done right here.
import { useState } from 'preact/hooks';
import { gql, updateTenant } from '../api.js';
import { messages, money } from '../i18n.js';
import { normalizeInvoiceNumber } from '../invoice.js';
import { useRoute } from '../router.js';
import { Badge, Field, FormErrors, Link, Loaded, Page, Submit, useForm, useQuery, errorText } from '../ui.jsx';
import { invoiceValidate, t as st } from './settings.jsx';

const t = messages({
  ja: {
    title: 'はじめに', lead: '次の手順で、POSアプリでの販売と会計・ECへの自動連携を始められます。', progress: '{n} / {total} 完了',
    done: '完了', todo: '未完了',
    'loc.title': '店舗とレジ', 'loc.body': '店舗を登録すると、レジ1が作られます。レジは後から追加できます。',
    'loc.name': '店舗名', 'loc.create': '店舗を登録', 'loc.registers': '{name} のレジ: {list}',
    'loc.more': 'ほかに {n} 店舗あります。', 'loc.all': '店舗・レジの一覧',
    'reg.name': '追加するレジの名前', 'reg.create': 'レジを追加',
    'inv.title': 'インボイス登録番号', 'inv.body': '適格請求書（インボイス）を発行するには登録番号を設定します。免税事業者の方は空欄のままで構いません。', 'inv.save': '登録番号を保存',
    'item.title': '商品', 'item.body': '最初の商品を登録しましょう（POSアプリやShopify連携でも追加できます）。', 'item.count': '{n} 件以上の商品が登録されています。',
    'item.name': '商品名', 'item.sku': 'SKU（品番）', 'item.price': '価格（円）', 'item.tax': '税区分', 'item.create': '商品を登録',
    'tax.STANDARD': '標準税率 10%', 'tax.REDUCED': '軽減税率 8%（飲食料品など）', 'tax.EXEMPT': '非課税',
    'card.title': 'カード決済', 'card.body': 'Stripe でアカウントを作成・確認すると、POSアプリでカード決済を受け付けられます。',
    'card.start': 'Stripe で設定する', 'card.continue': 'Stripe の設定を続ける', 'card.enabled': 'カード決済を受け付けられます。',
    'card.returned': 'Stripe から戻りました。確認が終わるとここが「完了」になります（数分かかることがあります）。',
    'int.title': '連携', 'int.body': 'freee会計、Shopify、Webhook をつなぐと、売上・在庫・レジ締めが自動で流れます。', 'int.go': '連携を設定する', 'int.count': '{n} 件の連携があります。',
  },
  en: {
    title: 'Get started', lead: 'These steps get you selling with the POS app and flowing into accounting and your shop.', progress: '{n} of {total} done',
    done: 'Done', todo: 'To do',
    'loc.title': 'Location and registers', 'loc.body': 'A new location comes with register 1; add more registers any time.',
    'loc.name': 'Location name', 'loc.create': 'Add location', 'loc.registers': 'Registers at {name}: {list}',
    'loc.more': '{n} more location(s).', 'loc.all': 'All locations and registers',
    'reg.name': 'New register name', 'reg.create': 'Add register',
    'inv.title': 'Invoice registration number', 'inv.body': 'Needed to issue qualified invoices. Leave empty if you are not registered.', 'inv.save': 'Save number',
    'item.title': 'Items', 'item.body': 'Add your first item (the POS app and Shopify can add more).', 'item.count': 'At least {n} item(s) in the catalog.',
    'item.name': 'Item name', 'item.sku': 'SKU', 'item.price': 'Price (yen)', 'item.tax': 'Tax category', 'item.create': 'Add item',
    'tax.STANDARD': 'Standard 10%', 'tax.REDUCED': 'Reduced 8% (food etc.)', 'tax.EXEMPT': 'Exempt',
    'card.title': 'Card payments', 'card.body': 'Create and verify your Stripe account to take cards in the POS app.',
    'card.start': 'Set up with Stripe', 'card.continue': 'Continue with Stripe', 'card.enabled': 'Card payments are enabled.',
    'card.returned': 'Back from Stripe. This step turns "Done" once Stripe has verified the account (it can take a few minutes).',
    'int.title': 'Integrations', 'int.body': 'Connect freee, Shopify or a webhook and sales, stock and closes flow on by themselves.', 'int.go': 'Set up integrations', 'int.count': '{n} integration(s) connected.',
  },
});

const Q = `{ me { tenant { id invoiceRegistrationNumber cardPaymentsEnabled timezone } }
  locations { id name }
  items(first: 1) { nodes { id } }
  integrations { id } }`;

function Step({ n, title, done, children, id }) {
  return (
    <li class={`step${done ? ' done' : ''}`} data-testid={`step-${id}`} data-done={done ? 'true' : 'false'}>
      <div class="step-head"><span class="step-n">{n}</span><h2>{title}</h2><Badge kind={done ? 'ok' : 'neutral'}>{done ? t('done') : t('todo')}</Badge></div>
      <div class="step-body">{children}</div>
    </li>
  );
}

// A location's registers are read on their own (registers(locationId)):
// asking for Location.registers under every location would be priced at
// the lists' bounds (500 locations × 99 registers) and refused.
function FirstRegisters({ location, version }) {
  const q = useQuery(`query($id: ID!) { registers(locationId: $id) { id number name kind active } }`, { id: location.id }, [location.id, version]);
  return (
    <Loaded q={q}>{(d) => (
      <p data-testid="location-registers">{t('loc.registers', { name: location.name, list: d.registers.filter((r) => r.kind === 'POS').map((r) => `${r.number}. ${r.name}`).join('、') })}</p>
    )}</Loaded>
  );
}

function LocationStep({ locations, reload }) {
  const loc = useForm({ name: '' });
  const reg = useForm({ name: '' });
  const [version, setVersion] = useState(0);
  const first = locations[0];
  const addLocation = async (e) => {
    e.preventDefault();
    const ok = await loc.submit(async (v) => (await gql(`mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id } userErrors { field message code } } }`, { input: { name: v.name.trim(), timezone: 'Asia/Tokyo' } })).createLocation.userErrors);
    if (ok) reload();
  };
  const addRegister = async (e) => {
    e.preventDefault();
    const ok = await reg.submit(async (v) => (await gql(`mutation($input: CreateRegisterInput!) { createRegister(input: $input) { register { id } userErrors { field message code } } }`, { input: { locationId: first.id, name: v.name.trim() } })).createRegister.userErrors);
    if (ok) { reg.set('name', ''); setVersion((n) => n + 1); }
  };
  return (
    <>
      <p class="muted">{t('loc.body')}</p>
      {first && <FirstRegisters location={first} version={version} />}
      {locations.length > 1 && <p class="muted">{t('loc.more', { n: locations.length - 1 })} <Link href="/registers">{t('loc.all')}</Link></p>}
      {!first ? (
        <form class="inline" onSubmit={addLocation} data-testid="location-form" novalidate>
          <Field form={loc} name="name" label={t('loc.name')} required />
          <FormErrors form={loc} />
          <Submit form={loc} data-testid="location-create">{t('loc.create')}</Submit>
        </form>
      ) : (
        <form class="inline" onSubmit={addRegister} data-testid="register-form" novalidate>
          <Field form={reg} name="name" label={t('reg.name')} required />
          <FormErrors form={reg} />
          <Submit form={reg} data-testid="register-create">{t('reg.create')}</Submit>
        </form>
      )}
    </>
  );
}

function InvoiceStep({ tenant, reload }) {
  const form = useForm({ invoiceRegistrationNumber: tenant.invoiceRegistrationNumber || '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: TenantSettingsInput!) { updateTenantSettings(input: $input) { tenant { id invoiceRegistrationNumber } userErrors { field message code } } }`,
        { input: { invoiceRegistrationNumber: normalizeInvoiceNumber(v.invoiceRegistrationNumber) } })).updateTenantSettings;
      if (r.tenant) updateTenant(r.tenant);
      return r.userErrors;
    });
    if (ok) reload();
  };
  return (
    <>
      <p class="muted">{t('inv.body')}</p>
      <form class="inline" onSubmit={onSubmit} data-testid="invoice-form" novalidate>
        <Field form={form} name="invoiceRegistrationNumber" label={st('f.invoiceRegistrationNumber')} hint={st('f.invoice.hint')} validate={invoiceValidate} maxlength="20" />
        <FormErrors form={form} />
        <Submit form={form} data-testid="invoice-save">{t('inv.save')}</Submit>
      </form>
    </>
  );
}

function ItemStep({ hasItems, reload }) {
  const form = useForm({ name: '', sku: '', price: '', taxCategory: 'STANDARD' });
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      const price = /^\d{1,9}$/.test(v.price.trim()) ? Number(v.price.trim()) : -1;
      if (price < 0) return [{ field: ['input', 'price'], message: t('item.price') + ': 0–999,999,999', code: 'INVALID' }];
      const r = (await gql(`mutation($input: UpsertItemInput!) { upsertItem(input: $input) { item { id } userErrors { field message code } } }`,
        { input: { name: v.name.trim(), taxCategory: v.taxCategory, variants: [{ name: v.name.trim(), sku: v.sku.trim(), price: { amount: price, currency: 'JPY' } }] } })).upsertItem;
      // The variant's fields are named variants.0.sku etc. by the API: show them on the one variant's inputs.
      return r.userErrors.map((ue) => {
        const f = (ue.field || []).join('.');
        if (f.endsWith('variants.0.sku')) return { ...ue, field: ['input', 'sku'] };
        if (f.includes('variants.0.price')) return { ...ue, field: ['input', 'price'] };
        if (f.endsWith('variants.0.name')) return { ...ue, field: ['input', 'name'] };
        return ue;
      });
    });
    if (ok) { form.setValues({ name: '', sku: '', price: '', taxCategory: form.values.taxCategory }); reload(); }
  };
  return (
    <>
      <p class="muted">{hasItems ? t('item.count', { n: 1 }) : t('item.body')}</p>
      <form class="inline" onSubmit={onSubmit} data-testid="item-form" novalidate>
        <Field form={form} name="name" label={t('item.name')} required />
        <Field form={form} name="sku" label={t('item.sku')} required />
        <Field form={form} name="price" label={t('item.price')} inputmode="numeric" required hint={form.values.price && /^\d+$/.test(form.values.price) ? money(Number(form.values.price)) : ''} />
        <Field form={form} name="taxCategory" type="select" label={t('item.tax')} options={['STANDARD', 'REDUCED', 'EXEMPT'].map((c) => ({ value: c, label: t(`tax.${c}`) }))} />
        <FormErrors form={form} />
        <Submit form={form} data-testid="item-create">{t('item.create')}</Submit>
      </form>
    </>
  );
}

function CardStep({ enabled }) {
  const { query } = useRoute();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true); setErr('');
    try {
      const r = (await gql(`mutation { startCardPaymentsOnboarding { url userErrors { field message code } } }`)).startCardPaymentsOnboarding;
      if (r.userErrors.length) setErr(r.userErrors.map((u) => u.message).join(' '));
      else location.assign(r.url);
    } catch (e) { setErr(errorText(e)); } finally { setBusy(false); }
  };
  if (enabled) return <p class="ok">{t('card.enabled')}</p>;
  return (
    <>
      <p class="muted">{t('card.body')}</p>
      {query.get('cardOnboarding') && <p class="banner info" role="status" data-testid="card-returned">{t('card.returned')}</p>}
      {err && <p class="form-error" role="alert">{err}</p>}
      <button type="button" class="primary" disabled={busy} onClick={start} data-testid="card-start">{query.get('cardOnboarding') ? t('card.continue') : t('card.start')}</button>
    </>
  );
}

export function Onboarding() {
  const q = useQuery(Q, {});
  return (
    <Page title={t('title')}>
      <Loaded q={q}>{(d) => {
        const tenant = d.me.tenant;
        const steps = [
          d.locations.length > 0,
          !!tenant.invoiceRegistrationNumber,
          d.items.nodes.length > 0,
          tenant.cardPaymentsEnabled,
          d.integrations.length > 0,
        ];
        const n = steps.filter(Boolean).length;
        return (
          <>
            <p>{t('lead')}</p>
            <p class="progress" data-testid="onboarding-progress"><progress max={steps.length} value={n} /> {t('progress', { n, total: steps.length })}</p>
            <ol class="checklist">
              <Step n={1} id="location" title={t('loc.title')} done={steps[0]}><LocationStep locations={d.locations} reload={q.reload} /></Step>
              <Step n={2} id="invoice" title={t('inv.title')} done={steps[1]}><InvoiceStep tenant={tenant} reload={q.reload} /></Step>
              <Step n={3} id="items" title={t('item.title')} done={steps[2]}><ItemStep hasItems={steps[2]} reload={q.reload} /></Step>
              <Step n={4} id="cards" title={t('card.title')} done={steps[3]}><CardStep enabled={steps[3]} /></Step>
              <Step n={5} id="integrations" title={t('int.title')} done={steps[4]}>
                <p class="muted">{steps[4] ? t('int.count', { n: d.integrations.length }) : t('int.body')}</p>
                <Link href="/integrations" class="button">{t('int.go')}</Link>
              </Step>
            </ol>
          </>
        );
      }}</Loaded>
    </Page>
  );
}
