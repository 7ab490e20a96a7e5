// Business settings: name, invoice registration number, tax handling.
import { gql, updateTenant } from '../api.js';
import { messages } from '../i18n.js';
import { invoiceNumberProblem, normalizeInvoiceNumber } from '../invoice.js';
import { Field, FormErrors, Loaded, Page, Submit, useForm, useQuery } from '../ui.jsx';

export const t = messages({
  ja: {
    title: '事業者設定', saved: '保存しました。',
    'f.businessName': '事業者名', 'f.invoiceRegistrationNumber': '適格請求書発行事業者登録番号',
    'f.invoice.hint': '「T」＋13桁の数字（例: T1234567890123）。レシートに印字されます。',
    'f.invoice.prefix': '「T」で始めてください', 'f.invoice.digits': '「T」の後は数字だけにしてください', 'f.invoice.length': '「T」の後に13桁の数字が必要です（{n}桁入力済み）',
    'f.pricesIncludeTax': '価格は税込', 'f.taxRounding': '消費税の端数処理',
    'r.FLOOR': '切り捨て', 'r.HALF_UP': '四捨五入', 'r.CEILING': '切り上げ',
    'f.allowNegativeStock': '在庫がなくても販売できる', 'f.giftCardValidityMonths': 'ギフトカードの有効期間（月）',
  },
  en: {
    title: 'Business settings', saved: 'Saved.',
    'f.businessName': 'Business name', 'f.invoiceRegistrationNumber': 'Invoice registration number',
    'f.invoice.hint': '"T" and 13 digits (e.g. T1234567890123), printed on receipts.',
    'f.invoice.prefix': 'Start with "T"', 'f.invoice.digits': 'Only digits after "T"', 'f.invoice.length': '13 digits are needed after "T" ({n} so far)',
    'f.pricesIncludeTax': 'Prices include tax', 'f.taxRounding': 'Tax rounding',
    'r.FLOOR': 'Round down', 'r.HALF_UP': 'Round half up', 'r.CEILING': 'Round up',
    'f.allowNegativeStock': 'Allow selling without stock', 'f.giftCardValidityMonths': 'Gift card validity (months)',
  },
});

export function invoiceValidate(v) {
  const p = invoiceNumberProblem(v);
  if (p === 'length') return t('f.invoice.length', { n: Math.max(0, normalizeInvoiceNumber(v).length - 1) });
  return p ? t(`f.invoice.${p}`) : '';
}

const Q = `{ me { tenant { id businessName invoiceRegistrationNumber pricesIncludeTax taxRounding allowNegativeStock giftCardValidityMonths } } }`;
const M = `mutation($input: TenantSettingsInput!) { updateTenantSettings(input: $input) { tenant { id businessName invoiceRegistrationNumber pricesIncludeTax taxRounding allowNegativeStock giftCardValidityMonths } userErrors { field message code } } }`;

function SettingsForm({ tenant }) {
  const form = useForm({ ...tenant, invoiceRegistrationNumber: tenant.invoiceRegistrationNumber || '', giftCardValidityMonths: String(tenant.giftCardValidityMonths) });
  const onSubmit = async (e) => {
    e.preventDefault();
    await form.submit(async (v) => {
      const input = {
        businessName: v.businessName, invoiceRegistrationNumber: normalizeInvoiceNumber(v.invoiceRegistrationNumber),
        pricesIncludeTax: !!v.pricesIncludeTax, taxRounding: v.taxRounding, allowNegativeStock: !!v.allowNegativeStock,
        giftCardValidityMonths: Number.parseInt(v.giftCardValidityMonths, 10),
      };
      const r = (await gql(M, { input })).updateTenantSettings;
      if (r.userErrors.length === 0) { updateTenant(r.tenant); form.setFormError(''); form.set('saved', true); }
      return r.userErrors;
    });
  };
  return (
    <form class="card" onSubmit={onSubmit} data-testid="settings-form" novalidate>
      <Field form={form} name="businessName" label={t('f.businessName')} required />
      <Field form={form} name="invoiceRegistrationNumber" label={t('f.invoiceRegistrationNumber')} hint={t('f.invoice.hint')} validate={invoiceValidate} inputmode="latin" maxlength="20" />
      <Field form={form} name="pricesIncludeTax" type="checkbox" label={t('f.pricesIncludeTax')} />
      <Field form={form} name="taxRounding" type="select" label={t('f.taxRounding')} options={['FLOOR', 'HALF_UP', 'CEILING'].map((r) => ({ value: r, label: t(`r.${r}`) }))} />
      <Field form={form} name="allowNegativeStock" type="checkbox" label={t('f.allowNegativeStock')} />
      <Field form={form} name="giftCardValidityMonths" type="number" min="1" max="120" label={t('f.giftCardValidityMonths')} />
      <FormErrors form={form} />
      {form.values.saved && !form.busy && !form.formError && <p class="ok" role="status">{t('saved')}</p>}
      <Submit form={form} data-testid="settings-save">{t('action.save')}</Submit>
    </form>
  );
}

export function Settings() {
  const q = useQuery(Q, {});
  return <Page title={t('title')}><Loaded q={q}>{(d) => <SettingsForm tenant={d.me.tenant} />}</Loaded></Page>;
}
