// Register closes: every revision of every close (a location's and its
// registers') in a range of business dates, with its figures and whether it
// reached the accounting integrations (freee): each delivery's status, its
// last error, a link to the integration, and a retry for a failed one.
import { useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { useSignal } from '../signal.js';
import { messages, money, number, date, dateTime, ago, today } from '../i18n.js';
import { navigate, useRoute } from '../router.js';
import { Badge, Empty, Field, FormErrors, Link, Page, Submit, useForm, errorText } from '../ui.jsx';
import { addDays, daysBetween } from '../dates.js';
import { errorMessage, useLive } from '../live.js';

const t = messages({
  ja: {
    title: 'レジ締め', lead: '営業日ごとのレジ締めと、会計ソフト（freee）への連携状況です。締め直すと版が増えます。',
    'f.from': '開始日', 'f.to': '終了日', 'f.location': '店舗', 'location.all': 'すべての店舗', show: '表示',
    'v.date': '日付を YYYY-MM-DD で入力してください', 'v.order': '終了日は開始日以降にしてください', 'v.range': '期間は最大92日です（{n}日を指定）',
    count: '{n} 件のレジ締め（{from} 〜 {to}）',
    'col.date': '営業日', 'col.location': '店舗', 'col.register': 'レジ', 'col.revision': '版', 'col.orders': '件数',
    'col.netSales': '純売上', 'col.tax10': '消費税 10%', 'col.tax8': '消費税 8%', 'col.payments': '支払方法別',
    'col.expected': '理論現金', 'col.counted': '実際の現金', 'col.difference': '過不足', 'col.closedAt': '締め時刻', 'col.accounting': '会計連携',
    'register.location': '店舗全体', taxable: '対象 {amount}', superseded: '旧版', latest: '最新',
    'acc.none': '—', 'acc.none.title': '連携なし（未送信、連携開始日より前、またはレジ単位の締め）',
    'st.SUCCEEDED': '連携済み', 'st.PENDING': '送信待ち', 'st.RUNNING': '送信中', 'st.FAILED': '失敗',
    attempts: '{n} 回試行', updated: '更新 {ago}', retry: '再送', retrying: '再送中…', retried: '再送を受け付けました。',
    'm.CASH': '現金', 'm.CARD': 'カード', 'm.EXTERNAL': 'QR等', 'm.GIFT_CARD': 'ギフト',
    empty: 'この期間のレジ締めはありません。',
  },
  en: {
    title: 'Closes', lead: 'Register closes by business date, and whether each reached accounting (freee). A recount or late sale adds a revision.',
    'f.from': 'From', 'f.to': 'To', 'f.location': 'Location', 'location.all': 'All locations', show: 'Show',
    'v.date': 'Enter a date as YYYY-MM-DD', 'v.order': 'The end date must not be before the start date', 'v.range': 'At most 92 days ({n} days given)',
    count: '{n} close(s), {from} – {to}',
    'col.date': 'Business date', 'col.location': 'Location', 'col.register': 'Register', 'col.revision': 'Rev.', 'col.orders': 'Orders',
    'col.netSales': 'Net sales', 'col.tax10': 'Tax 10%', 'col.tax8': 'Tax 8%', 'col.payments': 'Payments',
    'col.expected': 'Expected cash', 'col.counted': 'Counted cash', 'col.difference': 'Difference', 'col.closedAt': 'Closed at', 'col.accounting': 'Accounting',
    'register.location': 'Whole location', taxable: 'on {amount}', superseded: 'Superseded', latest: 'Latest',
    'acc.none': '—', 'acc.none.title': 'Not sent (not dispatched yet, before the integration start date, or a register close)',
    'st.SUCCEEDED': 'Posted', 'st.PENDING': 'Pending', 'st.RUNNING': 'Running', 'st.FAILED': 'Failed',
    attempts: '{n} attempt(s)', updated: 'updated {ago}', retry: 'Retry', retrying: 'Retrying…', retried: 'Retry queued.',
    'm.CASH': 'Cash', 'm.CARD': 'Card', 'm.EXTERNAL': 'QR etc.', 'm.GIFT_CARD': 'Gift card',
    empty: 'No closes in this range.',
  },
});

const M = 'amount currency';
const Q_CLOSES = `query($from: String!, $to: String!, $loc: ID) { closes(from: $from, to: $to, locationId: $loc) {
  id businessDate revision orderCount closedAt
  location { id name } register { id number name }
  netSales { ${M} } taxBreakdown { ratePercent taxableAmount { ${M} } tax { ${M} } }
  paymentTotals { method amount { ${M} } }
  expectedCash { ${M} } countedCash { ${M} } difference { ${M} }
  accounting { jobId status attempts lastError updatedAt integration { id name provider } } } }`;
const Q_LOCATIONS = '{ locations { id name } }';
const M_RETRY = `mutation($input: RetryIntegrationJobInput!) { retryIntegrationJob(input: $input) {
  job { id status attempts lastError updatedAt } userErrors { field message code } } }`;

export const MAX_DAYS = 92;
const STATUS_KIND = { SUCCEEDED: 'ok', PENDING: 'info', RUNNING: 'info', FAILED: 'error' };
const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

// rangeProblem: what is wrong with from..to, or ''.
function rangeProblem(from, to) {
  if (!isDate(from) || !isDate(to)) return t('v.date');
  const n = daysBetween(from, to) + 1;
  if (n < 1) return t('v.order');
  if (n > MAX_DAYS) return t('v.range', { n });
  return '';
}

function Filters({ from, to, locId, locations }) {
  const form = useForm({ from, to, locationId: locId });
  const onSubmit = async (e) => {
    e.preventDefault();
    await form.submit(async (v) => {
      const errs = [];
      if (!isDate(v.from)) errs.push({ field: ['input', 'from'], message: t('v.date'), code: 'INVALID' });
      if (!isDate(v.to)) errs.push({ field: ['input', 'to'], message: t('v.date'), code: 'INVALID' });
      const p = errs.length ? '' : rangeProblem(v.from, v.to);
      if (p) errs.push({ field: ['input', 'to'], message: p, code: 'INVALID' });
      if (errs.length) return errs;
      const qs = new URLSearchParams({ from: v.from, to: v.to });
      if (v.locationId) qs.set('location', v.locationId);
      navigate(`/closes?${qs}`, { replace: true });
      return [];
    });
  };
  return (
    <form class="inline card" onSubmit={onSubmit} data-testid="closes-filter" novalidate>
      <Field form={form} name="from" type="date" label={t('f.from')} required />
      <Field form={form} name="to" type="date" label={t('f.to')} required />
      <Field form={form} name="locationId" type="select" label={t('f.location')} data-testid="closes-location"
        options={[{ value: '', label: t('location.all') }, ...locations.map((l) => ({ value: l.id, label: l.name }))]} />
      <FormErrors form={form} />
      <Submit form={form} data-testid="closes-apply">{t('show')}</Submit>
    </form>
  );
}

function TaxCell({ lines, rate, currency }) {
  const l = lines.filter((x) => x.ratePercent === rate);
  if (!l.length) return <td class="num">—</td>;
  const tax = l.reduce((s, x) => s + Number(x.tax.amount), 0);
  const base = l.reduce((s, x) => s + Number(x.taxableAmount.amount), 0);
  return (
    <td class="num" data-rate={rate}>
      {money(tax, currency)}
      <small class="muted block">{t('taxable', { amount: money(base, currency) })}</small>
    </td>
  );
}

function Delivery({ d: initial, onRetried }) {
  const [d, setD] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');
  const [err, setErr] = useState('');
  const retry = async () => {
    setBusy(true); setErr(''); setMsg('');
    try {
      const r = (await gql(M_RETRY, { input: { id: d.jobId } })).retryIntegrationJob;
      if (r.userErrors.length) setErr(r.userErrors.map((u) => u.message).join(' '));
      else {
        if (r.job) setD({ ...d, status: r.job.status, attempts: r.job.attempts, lastError: r.job.lastError, updatedAt: r.job.updatedAt });
        setMsg(t('retried'));
        onRetried?.();
      }
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="delivery" data-testid="close-accounting" data-status={d.status} data-job-id={d.jobId} data-integration-id={d.integration.id}>
      <div class="row">
        <Badge kind={STATUS_KIND[d.status] || 'neutral'}>{t(`st.${d.status}`)}</Badge>
        <Link href={`/integrations/${encodeURIComponent(d.integration.id)}`} data-testid="close-integration-link">{d.integration.name}</Link>
      </div>
      <small class="muted block">{t('attempts', { n: d.attempts })} · {t('updated', { ago: ago(d.updatedAt) })}</small>
      {d.lastError && <small class="delivery-error block" data-testid="close-last-error">{d.lastError}</small>}
      {d.status === 'FAILED' && (
        <button type="button" class="small" disabled={busy} onClick={retry} data-testid="close-retry" data-job-id={d.jobId}>{busy ? t('retrying') : t('retry')}</button>
      )}
      {msg && <small class="ok block" role="status">{msg}</small>}
      {err && <small class="delivery-error block" role="alert" data-testid="close-retry-error">{err}</small>}
    </div>
  );
}

function CloseRow({ c, latest, tz, currency, onRetried }) {
  const diff = Number(c.difference.amount);
  return (
    <tr data-testid="close-row" data-close-id={c.id} data-business-date={c.businessDate} data-revision={c.revision} class={latest ? '' : 'superseded'}>
      <td class="nowrap">{date(c.businessDate)}</td>
      <td class="nowrap">{c.location.name}</td>
      <td class="nowrap">{c.register ? `${c.register.number}. ${c.register.name}` : <span class="muted">{t('register.location')}</span>}</td>
      <td class="num">{c.revision}{!latest && <> <Badge kind="neutral">{t('superseded')}</Badge></>}</td>
      <td class="accounting">
        {c.accounting.length === 0
          ? <span class="muted" title={t('acc.none.title')} data-testid="close-accounting-none">{t('acc.none')}</span>
          : c.accounting.map((d) => <Delivery key={`${d.jobId}|${d.status}|${d.updatedAt}`} d={d} onRetried={onRetried} />)}
      </td>
      <td class="num">{number(c.orderCount)}</td>
      <td class="num">{money(c.netSales, currency)}</td>
      <TaxCell lines={c.taxBreakdown} rate={10} currency={currency} />
      <TaxCell lines={c.taxBreakdown} rate={8} currency={currency} />
      <td class="nowrap">
        {c.paymentTotals.length === 0 ? '—' : (
          <ul class="plain">{c.paymentTotals.map((p) => <li data-method={p.method}>{t(`m.${p.method}`)} <span class="num">{money(p.amount, currency)}</span></li>)}</ul>
        )}
      </td>
      <td class="num">{money(c.expectedCash, currency)}</td>
      <td class="num">{money(c.countedCash, currency)}</td>
      <td class={`num ${diff < 0 ? 'neg' : diff > 0 ? 'pos' : ''}`} data-testid="close-difference">{diff > 0 ? '+' : ''}{money(c.difference, currency)}</td>
      <td class="nowrap">{dateTime(c.closedAt, tz)}</td>
    </tr>
  );
}

function CloseTable({ closes, tz, currency, onRetried }) {
  if (!closes.length) return <Empty>{t('empty')}</Empty>;
  // The newest revision of each close (location, register, date) is the one in force.
  const newest = new Map();
  for (const c of closes) {
    const k = `${c.location.id}|${c.register?.id || ''}|${c.businessDate}`;
    newest.set(k, Math.max(newest.get(k) || 0, c.revision));
  }
  return (
    <div class="table-wrap">
      <table data-testid="closes-table" class="closes">
        <thead>
          <tr>
            <th>{t('col.date')}</th><th>{t('col.location')}</th><th>{t('col.register')}</th><th class="num">{t('col.revision')}</th><th>{t('col.accounting')}</th>
            <th class="num">{t('col.orders')}</th><th class="num">{t('col.netSales')}</th><th class="num">{t('col.tax10')}</th><th class="num">{t('col.tax8')}</th>
            <th>{t('col.payments')}</th><th class="num">{t('col.expected')}</th><th class="num">{t('col.counted')}</th><th class="num">{t('col.difference')}</th>
            <th>{t('col.closedAt')}</th>
          </tr>
        </thead>
        <tbody>
          {closes.map((c) => (
            <CloseRow key={`${c.id}|${c.revision}`} c={c} tz={tz} currency={currency} onRetried={onRetried}
              latest={c.revision === newest.get(`${c.location.id}|${c.register?.id || ''}|${c.businessDate}`)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Closes() {
  const s = useSignal(session);
  const { query } = useRoute();
  const tz = s?.tenant?.timezone || 'Asia/Tokyo';
  const currency = s?.tenant?.currency || 'JPY';
  const end = (() => { try { return today(tz); } catch { return today(); } })();
  const to = query.get('to') || end;
  const from = query.get('from') || addDays(to, -13);
  const locId = query.get('location') || '';
  const problem = rangeProblem(from, to);
  const [tick, setTick] = useState(0);
  const locQ = useLive(Q_LOCATIONS, {}, 0);
  const q = useLive(Q_CLOSES, { from, to, loc: locId || null }, tick, !!problem);
  const locations = locQ.data?.locations || [];
  const reload = () => setTick((n) => n + 1);
  let body;
  if (problem) body = <p class="banner error" role="alert" data-testid="closes-error">{problem}</p>;
  else if (q.error && !q.data) body = <div class="banner error" role="alert" data-testid="closes-error">{errorMessage(q.error)} <button type="button" onClick={reload}>{t('action.reload')}</button></div>;
  else if (!q.data) body = <p class="muted" aria-busy="true">{t('state.loading')}</p>;
  else {
    body = (
      <>
        {q.error && <p class="banner error" role="alert">{errorMessage(q.error)}</p>}
        <p class="muted" data-testid="closes-count">{t('count', { n: number(q.data.closes.length), from: date(from), to: date(to) })}</p>
        <CloseTable closes={q.data.closes} tz={tz} currency={currency} onRetried={() => setTimeout(reload, 3000)} />
      </>
    );
  }
  return (
    <Page title={t('title')} actions={<button type="button" onClick={reload} data-testid="closes-reload">{t('action.reload')}</button>}>
      <p class="muted">{t('lead')}</p>
      <Filters key={`${from}|${to}|${locId}|${locations.length}`} from={from} to={to} locId={locId} locations={locations} />
      {body}
    </Page>
  );
}
