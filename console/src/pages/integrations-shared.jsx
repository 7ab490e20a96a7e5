// What the integrations pages share: their messages, the status badge,
// provider names, and fitting a userError's field path to the form field
// that shows it (the API may name a deeper path, e.g. a walletable's "id",
// than the one control the page has for it).
import { messages } from '../i18n.js';
import { Badge, fieldKey } from '../ui.jsx';

export const t = messages({
  ja: {
    title: '連携', 'p.FREEE': 'freee会計', 'p.SHOPIFY': 'Shopify', 'p.WEBHOOK': 'Webhook',
    's.ACTIVE': '稼働中', 's.ERROR': 'エラー', 's.DISCONNECTED': '切断済み',
    'j.PENDING': '待機中', 'j.RUNNING': '実行中', 'j.SUCCEEDED': '成功', 'j.FAILED': '失敗',
    'k.POST_DAILY_SALES': '売上の記帳（レジ締め）', 'k.PUSH_INVENTORY': '在庫の送信', 'k.IMPORT_ORDER': '注文の取り込み',
    'k.DELIVER_EVENT': 'イベントの送信', 'k.SYNC': '全件再同期',
    'w.SKU_NOT_IN_SHOPIFY': 'Shopify にない SKU（在庫は送信されません）',
    'w.SKU_NOT_IN_RENKEI': 'renkei にない SKU（この SKU を含む注文は取り込めません）',
    'w.SKU_CHECK_INCOMPLETE': 'SKU の照合は一部のみ（商品数が多いため）',
    'w.items': '{count} 件', 'w.more': 'ほか {n} 件', 'w.none': '警告はありません。すべての SKU が一致しています。',
    'w.title': 'SKU の照合結果',
    'lag.none': '—', 'lag.s': '{n} 秒', 'lag.m': '{n} 分', 'lag.h': '{n} 時間',
  },
  en: {
    title: 'Integration', 'p.FREEE': 'freee Accounting', 'p.SHOPIFY': 'Shopify', 'p.WEBHOOK': 'Webhook',
    's.ACTIVE': 'Active', 's.ERROR': 'Error', 's.DISCONNECTED': 'Disconnected',
    'j.PENDING': 'Pending', 'j.RUNNING': 'Running', 'j.SUCCEEDED': 'Succeeded', 'j.FAILED': 'Failed',
    'k.POST_DAILY_SALES': 'Post sales (close)', 'k.PUSH_INVENTORY': 'Push stock', 'k.IMPORT_ORDER': 'Import order',
    'k.DELIVER_EVENT': 'Deliver event', 'k.SYNC': 'Full resync',
    'w.SKU_NOT_IN_SHOPIFY': 'SKUs not in Shopify (their stock is not pushed)',
    'w.SKU_NOT_IN_RENKEI': 'SKUs not in renkei (orders with them cannot be imported)',
    'w.SKU_CHECK_INCOMPLETE': 'SKU check partial (too many variants)',
    'w.items': '{count}', 'w.more': 'and {n} more', 'w.none': 'No warnings: every SKU matches.',
    'w.title': 'SKU check',
    'lag.none': '—', 'lag.s': '{n} s', 'lag.m': '{n} min', 'lag.h': '{n} h',
  },
});

const STATUS_KIND = { ACTIVE: 'ok', ERROR: 'error', DISCONNECTED: 'neutral' };

export function StatusBadge({ status, ...rest }) {
  return <Badge kind={STATUS_KIND[status] || 'neutral'} {...rest}>{t(`s.${status}`)}</Badge>;
}

const JOB_KIND = { PENDING: 'info', RUNNING: 'info', SUCCEEDED: 'ok', FAILED: 'error' };

export function JobBadge({ status }) {
  return <Badge kind={JOB_KIND[status] || 'neutral'}>{t(`j.${status}`)}</Badge>;
}

export const providerName = (p) => t(`p.${p}`);

// kindName shows a job kind, or the kind itself when it is new to us.
export function kindName(k) {
  const s = t(`k.${k}`);
  return s === `k.${k}` ? k : s;
}

// lag shows the age of the oldest pending job.
export function lag(seconds) {
  if (seconds == null) return t('lag.none');
  const s = Math.round(seconds);
  if (s < 120) return t('lag.s', { n: s });
  if (s < 7200) return t('lag.m', { n: Math.round(s / 60) });
  return t('lag.h', { n: Math.round(s / 3600) });
}

// fitErrors rewrites each userError's field to the longest prefix of it
// that names a field of form, so that ["input","settings","accountMapping",
// "walletables","CASH","id"] shows next to the CASH select; an error no
// field claims keeps its path and goes to <FormErrors>.
export function fitErrors(form, userErrors) {
  return userErrors.map((ue) => {
    const path = ue.field || [];
    for (let n = path.length; n > 1; n--) {
      if (form.names.has(fieldKey(path.slice(0, n)))) return { ...ue, field: path.slice(0, n) };
    }
    return ue;
  });
}

// FieldErrors shows the errors of name where there is no single control
// (a group of checkboxes, a mapping table) and makes name a field of form.
export function FieldErrors({ form, name }) {
  form.names.add(name);
  const errs = form.errors[name] || [];
  return (
    <div class="field-errors" role="alert" data-field-error={name}>
      {errs.map((m) => <span>{m}</span>)}
    </div>
  );
}

// Warnings is the SKU report (and any other finding): code, what it means,
// how many, and the items the API listed (the first 100).
export function Warnings({ warnings, withItems = true }) {
  if (!warnings.length) return <p class="ok" data-testid="warnings-none">{t('w.none')}</p>;
  return (
    <ul class="warnings" data-testid="warnings">
      {warnings.map((w) => {
        const label = t(`w.${w.code}`);
        return (
          <li class="warning" data-testid="warning" data-code={w.code} data-count={w.count}>
            <div class="warning-head">
              <code>{w.code}</code> <strong>{label === `w.${w.code}` ? w.message : label}</strong>{' '}
              <Badge kind="warn">{t('w.items', { count: w.count })}</Badge>
            </div>
            <p class="muted">{w.message}</p>
            {withItems && w.items?.length > 0 && (
              <p class="warning-items">
                {w.items.map((s) => <code>{s}</code>)}
                {w.count > w.items.length && <span class="muted"> {t('w.more', { n: w.count - w.items.length })}</span>}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
