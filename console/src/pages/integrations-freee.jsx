// freee's account mapping, chosen from the company's own account items,
// tax codes, walletables and sections (read live from freee through
// freeeAccountOptions — never ids typed by hand). Used to connect (the
// callback page) and to fix the mapping of a connected integration.
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { messages } from '../i18n.js';
import { Field, FormErrors, Submit, useForm } from '../ui.jsx';
import { fitErrors } from './integrations-shared.jsx';

export const t = messages({
  ja: {
    sales: '売上の勘定科目', 'sales.hint': '売上を計上する勘定科目（例: 売上高）',
    taxes: '税区分', 'tax.STANDARD': '標準税率 10% の売上', 'tax.REDUCED': '軽減税率 8% の売上', 'tax.EXEMPT': '非課税・対象外の売上',
    wallets: '入金先の口座（支払方法ごと）', 'w.CASH': '現金', 'w.CARD': 'カード', 'w.EXTERNAL': 'その他の支払（QR決済・EC など）',
    'w.GIFT_CARD': 'ギフトカード（任意）', 'w.GIFT_CARD.hint': 'ギフトカードでの支払がある日は必須です',
    giftLiability: 'ギフトカード入金の勘定科目（任意）', 'giftLiability.hint': '例: 前受金・預り金。ギフトカードの入金がある日は必須です',
    sections: '店舗ごとの部門（任意）', startDate: '記帳の開始日（任意）', 'startDate.hint': 'この日より前のレジ締めは記帳しません（手で記帳済みの日）',
    choose: '選択してください', none: '（なし）', missing: 'freee にない ID {id}（選び直してください）',
    'type.wallet': '現金・電子マネー', 'type.bank_account': '銀行口座', 'type.credit_card': 'クレジットカード',
  },
  en: {
    sales: 'Sales account item', 'sales.hint': 'The account sales are booked to (e.g. 売上高)',
    taxes: 'Tax codes', 'tax.STANDARD': 'Sales at the standard 10% rate', 'tax.REDUCED': 'Sales at the reduced 8% rate', 'tax.EXEMPT': 'Exempt / out-of-scope sales',
    wallets: 'Where the money lands (per payment method)', 'w.CASH': 'Cash', 'w.CARD': 'Card', 'w.EXTERNAL': 'Other payments (QR, online…)',
    'w.GIFT_CARD': 'Gift card (optional)', 'w.GIFT_CARD.hint': 'Required once a close has gift card payments',
    giftLiability: 'Gift card load account item (optional)', 'giftLiability.hint': 'e.g. 前受金 or 預り金; required once a close has gift card loads',
    sections: 'Section per location (optional)', startDate: 'Start date (optional)', 'startDate.hint': 'Closes before this date are never posted (days already booked by hand)',
    choose: 'Choose…', none: '(none)', missing: 'id {id}, not in freee (choose again)',
    'type.wallet': 'wallet', 'type.bank_account': 'bank account', 'type.credit_card': 'credit card',
  },
});

export const OPTIONS_QUERY = `query($authorizationId: ID, $integrationId: ID, $companyId: ID!) {
  freeeAccountOptions(authorizationId: $authorizationId, integrationId: $integrationId, companyId: $companyId) {
    accountItems { id name category } taxes { code name } walletables { id type name } sections { id name } } }`;

// loadOptions reads the company's masters from freee (through the API).
export async function loadOptions({ authorizationId, integrationId, companyId }) {
  return (await gql(OPTIONS_QUERY, { authorizationId, integrationId, companyId: String(companyId) })).freeeAccountOptions;
}

const TAXES = ['STANDARD', 'REDUCED', 'EXEMPT'];
const METHODS = ['CASH', 'CARD', 'EXTERNAL', 'GIFT_CARD'];
const AM = 'settings.accountMapping';

// valuesFromSettings turns stored settings into the form's values.
export function valuesFromSettings(s = {}) {
  const m = s.accountMapping || {};
  const v = { [`${AM}.salesAccountItemId`]: m.salesAccountItemId ? String(m.salesAccountItemId) : '', 'settings.startDate': s.startDate || '' };
  for (const k of TAXES) v[`${AM}.taxCodes.${k}`] = m.taxCodes?.[k] != null ? String(m.taxCodes[k]) : '';
  for (const k of METHODS) v[`${AM}.walletables.${k}`] = m.walletables?.[k] ? `${m.walletables[k].type}:${m.walletables[k].id}` : '';
  v[`${AM}.giftCardLiabilityAccountItemId`] = m.giftCardLiabilityAccountItemId ? String(m.giftCardLiabilityAccountItemId) : '';
  for (const [loc, id] of Object.entries(m.sections || {})) v[`${AM}.sections.${loc}`] = String(id);
  return v;
}

// guessValues preselects the obvious choices of a new mapping (売上高, the
// 10%/8% sales tax codes, a 現金 wallet); the merchant checks them all.
export function guessValues(o) {
  const v = {};
  const sales = o.accountItems.find((a) => a.name === '売上高');
  if (sales) v[`${AM}.salesAccountItemId`] = sales.id;
  const tax = (re, not) => o.taxes.find((x) => re.test(x.name) && !(not && not.test(x.name)));
  const std = tax(/課税売上.*10%/, /軽/), red = tax(/課税売上.*8%.*軽|軽.*課税売上.*8%|課税売上8%（軽）/), ex = tax(/^非課売上$|非課税売上/);
  if (std) v[`${AM}.taxCodes.STANDARD`] = String(std.code);
  if (red) v[`${AM}.taxCodes.REDUCED`] = String(red.code);
  if (ex) v[`${AM}.taxCodes.EXEMPT`] = String(ex.code);
  const cash = o.walletables.find((w) => w.type === 'wallet' && /現金/.test(w.name));
  if (cash) v[`${AM}.walletables.CASH`] = `${cash.type}:${cash.id}`;
  return v;
}

// settingsFromValues builds {accountMapping, startDate}: what was chosen,
// nothing invented — a required choice left empty is the API's to name.
export function settingsFromValues(v, locations, { clearStartDate = false } = {}) {
  const num = (s) => (s === '' || s == null ? undefined : Number(s));
  const m = { taxCodes: {}, walletables: {} };
  if (v[`${AM}.salesAccountItemId`]) m.salesAccountItemId = num(v[`${AM}.salesAccountItemId`]);
  for (const k of TAXES) if (v[`${AM}.taxCodes.${k}`] !== '' && v[`${AM}.taxCodes.${k}`] != null) m.taxCodes[k] = num(v[`${AM}.taxCodes.${k}`]);
  for (const k of METHODS) {
    const w = v[`${AM}.walletables.${k}`];
    if (w) { const [type, id] = w.split(':'); m.walletables[k] = { type, id: num(id) }; }
  }
  if (v[`${AM}.giftCardLiabilityAccountItemId`]) m.giftCardLiabilityAccountItemId = num(v[`${AM}.giftCardLiabilityAccountItemId`]);
  const sections = {};
  for (const l of locations) if (v[`${AM}.sections.${l.id}`]) sections[l.id] = num(v[`${AM}.sections.${l.id}`]);
  if (Object.keys(sections).length) m.sections = sections;
  const out = { accountMapping: m };
  if (v['settings.startDate']) out.startDate = v['settings.startDate'];
  else if (clearStartDate) out.startDate = null;
  return out;
}

// select options, with the stored value kept visible when freee no
// longer has it (the typical cause of a refused post).
function opts(list, current, { empty }) {
  const out = [{ value: '', label: empty }, ...list];
  if (current && !list.some((o) => o.value === current)) out.push({ value: current, label: t('missing', { id: current.replace(/^.*:/, '') }) });
  return out;
}

// FreeeMapping is the mapping form. submit(settings, form) sends it and
// returns the userErrors; extra renders fields before the mapping (the
// integration's name when connecting).
export function FreeeMapping({ options, locations, initial, submit, submitLabel, submitTestId = 'freee-connect-submit', extra, clearStartDate }) {
  const form = useForm(initial);
  const v = form.values;
  const items = options.accountItems.map((a) => ({ value: a.id, label: a.category ? `${a.name}（${a.category}）` : a.name }));
  const taxes = options.taxes.map((x) => ({ value: String(x.code), label: `${x.name}（${x.code}）` }));
  const wallets = options.walletables.map((w) => ({ value: `${w.type}:${w.id}`, label: `${w.name}（${t(`type.${w.type}`)}）` }));
  const sections = options.sections.map((s) => ({ value: s.id, label: s.name }));
  const sel = (name, list, label, { required = true, hint } = {}) => (
    <Field form={form} name={name} type="select" label={label} hint={hint}
      options={opts(list, v[name], { empty: required ? t('choose') : t('none') })} data-testid={`freee-${name.replace(`${AM}.`, '').replace(/\./g, '-')}`} />
  );
  const onSubmit = async (e) => {
    e.preventDefault();
    await form.submit(async (vals) => fitErrors(form, await submit(settingsFromValues(vals, locations, { clearStartDate }), vals)));
  };
  return (
    <form class="freee-mapping" onSubmit={onSubmit} data-testid="freee-mapping-form" novalidate>
      {extra?.(form)}
      {sel(`${AM}.salesAccountItemId`, items, t('sales'), { hint: t('sales.hint') })}
      <fieldset><legend>{t('taxes')}</legend>
        {TAXES.map((k) => sel(`${AM}.taxCodes.${k}`, taxes, t(`tax.${k}`)))}
      </fieldset>
      <fieldset><legend>{t('wallets')}</legend>
        {METHODS.map((k) => sel(`${AM}.walletables.${k}`, wallets, t(`w.${k}`), { required: k !== 'GIFT_CARD', hint: k === 'GIFT_CARD' ? t('w.GIFT_CARD.hint') : undefined }))}
      </fieldset>
      {sel(`${AM}.giftCardLiabilityAccountItemId`, items, t('giftLiability'), { required: false, hint: t('giftLiability.hint') })}
      {locations.length > 0 && sections.length > 0 && (
        <fieldset><legend>{t('sections')}</legend>
          {locations.map((l) => sel(`${AM}.sections.${l.id}`, sections, l.name, { required: false }))}
        </fieldset>
      )}
      <Field form={form} name="settings.startDate" type="date" label={t('startDate')} hint={t('startDate.hint')} data-testid="freee-startDate" />
      <FormErrors form={form} />
      <Submit form={form} data-testid={submitTestId}>{submitLabel}</Submit>
    </form>
  );
}

// useOptions loads freee's masters on demand: {options, error, busy, load}.
export function useOptions() {
  const [state, setState] = useState({ options: null, error: null, busy: false });
  const load = async (args) => {
    setState({ options: null, error: null, busy: true });
    try {
      setState({ options: await loadOptions(args), error: null, busy: false });
    } catch (err) {
      setState({ options: null, error: err, busy: false });
    }
  };
  return { ...state, load };
}
