// The dashboard: the day and the month. Today's sales in the time zone of
// the business (or of the chosen location) by hour and by payment method,
// the day's KPIs, top items, per-location and per-register figures, and the
// month by day. Every figure comes from salesSummary, one grouping per
// request: a summary without locationId is priced 15,000 (docs/api.md,
// Cost model), so several of them never share a request. The figures trail
// the sales by the stream's lag; the page says as of when, reloads every
// 30 s while visible, and on demand.
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { useSignal } from '../signal.js';
import { ChartView } from '../chart.jsx';
import { messages, money, number, date, dateTime, today } from '../i18n.js';
import { navigate, useRoute } from '../router.js';
import { Empty, Page } from '../ui.jsx';
import { addDays, daysBetween, midnight, pad } from '../dates.js';
import { errorMessage, useLive } from '../live.js';

const t = messages({
  ja: {
    title: 'ダッシュボード', location: '店舗', 'location.all': 'すべての店舗',
    asOf: '{time} 時点の集計', loadedAt: '{time} に読み込み',
    lag: '売上は数秒遅れて反映されます。30秒ごとに自動更新します。',
    today: '本日 {date}',
    'kpi.netSales': '純売上', 'kpi.orders': '取引件数', 'kpi.avgTicket': '客単価', 'kpi.tax': '消費税', 'kpi.refunds': '返金',
    hourly: '時間帯別の売上', methods: '支払方法別', topItems: '売れ筋商品（純売上トップ10）',
    byLocation: '店舗別', byRegister: 'レジ別', monthly: '日別の売上（今月）',
    'empty.today': '本日の売上はまだありません。', 'empty.month': '今月の売上はまだありません。',
    'col.rank': '順位', 'col.item': '商品', 'col.sku': 'SKU', 'col.quantity': '数量', 'col.orders': '件数',
    'col.netSales': '純売上', 'col.avgTicket': '客単価', 'col.tax': '消費税', 'col.refunds': '返金',
    'col.location': '店舗', 'col.register': 'レジ',
    'register.none': 'レジ導入前の取引', 'location.unknown': '（不明な店舗）',
    'm.CASH': '現金', 'm.CARD': 'カード', 'm.EXTERNAL': 'QR・電子マネー等', 'm.GIFT_CARD': 'ギフトカード',
    tooMany: '店舗が{n}を超えるため、全店舗の集計は表示できません。店舗を選んでください。',
    hourLabel: '{h}時', dayLabel: '{d}日', 'month.total': '今月の純売上 {net}・{orders} 件',
  },
  en: {
    title: 'Dashboard', location: 'Location', 'location.all': 'All locations',
    asOf: 'Figures as of {time}', loadedAt: 'Loaded at {time}',
    lag: 'Sales show up a few seconds late. Reloads every 30 seconds.',
    today: 'Today, {date}',
    'kpi.netSales': 'Net sales', 'kpi.orders': 'Orders', 'kpi.avgTicket': 'Average ticket', 'kpi.tax': 'Tax', 'kpi.refunds': 'Refunds',
    hourly: 'Sales by hour', methods: 'By payment method', topItems: 'Top items (net sales, top 10)',
    byLocation: 'By location', byRegister: 'By register', monthly: 'Sales by day (this month)',
    'empty.today': 'No sales yet today.', 'empty.month': 'No sales yet this month.',
    'col.rank': '#', 'col.item': 'Item', 'col.sku': 'SKU', 'col.quantity': 'Quantity', 'col.orders': 'Orders',
    'col.netSales': 'Net sales', 'col.avgTicket': 'Avg. ticket', 'col.tax': 'Tax', 'col.refunds': 'Refunds',
    'col.location': 'Location', 'col.register': 'Register',
    'register.none': 'Sales before registers', 'location.unknown': '(unknown location)',
    'm.CASH': 'Cash', 'm.CARD': 'Card', 'm.EXTERNAL': 'QR / e-money / other', 'm.GIFT_CARD': 'Gift card',
    tooMany: 'Figures for all locations are available up to {n} locations. Choose a location.',
    hourLabel: '{h}:00', dayLabel: '{d}', 'month.total': 'Net sales this month {net} · {orders} orders',
  },
});

export { t as dashboardMessages };

// ---- Dates in a time zone (shared with the closes page) ----

function todayIn(timeZone) {
  try { return today(timeZone); } catch { return today(); }
}

// ---- Data ----

const M = 'amount currency';
const summary = (groupBy, fields) => `query($from: Time!, $to: Time!, $loc: ID) {
  rows: salesSummary(input: {from: $from, to: $to, locationId: $loc, groupBy: ${groupBy}}) { key asOf ${fields} } }`;

const Q_LOCATIONS = '{ locations { id name timezone } }';
const MAX_SUMMARY_LOCATIONS = 50;
const Q_HOUR = summary('HOUR', `orderCount netSales { ${M} } tax { ${M} } refunds { ${M} }`);
const Q_METHOD = summary('PAYMENT_METHOD', `orderCount netSales { ${M} }`);
const Q_ITEM = summary('ITEM', `orderCount quantity netSales { ${M} }`);
const Q_LOCATION = summary('LOCATION', `orderCount netSales { ${M} } tax { ${M} } refunds { ${M} }`);
const Q_REGISTER = summary('REGISTER', `orderCount netSales { ${M} } register { id number name location { id name } }`);
const Q_DAY = summary('DAY', `orderCount netSales { ${M} }`);

const amount = (m) => (m ? Number(m.amount) : 0);

function totals(rows) {
  const s = { orders: 0, net: 0, tax: 0, refunds: 0 };
  for (const r of rows) {
    s.orders += r.orderCount; s.net += amount(r.netSales); s.tax += amount(r.tax); s.refunds += amount(r.refunds);
  }
  return s;
}

const asOfOf = (rows) => rows?.find((r) => r.asOf)?.asOf || null;

// useItemNames resolves SKUs to "item / variant" names through items(query),
// which matches SKU prefixes: one request for the SKUs not yet known.
function useItemNames(skus) {
  const cache = useRef(new Map());
  const [, setN] = useState(0);
  const missing = skus.filter((s) => s && !cache.current.has(s));
  const key = missing.join('\n');
  useEffect(() => {
    if (!missing.length) return;
    const vars = Object.fromEntries(missing.map((s, i) => [`q${i}`, s]));
    const q = `query(${missing.map((_, i) => `$q${i}: String`).join(', ')}) { ${missing.map((_, i) => `i${i}: items(first: 5, query: $q${i}) { nodes { name variants { name sku } } }`).join(' ')} }`;
    gql(q, vars).then((d) => {
      missing.forEach((sku, i) => {
        let label = '';
        for (const item of d[`i${i}`]?.nodes || []) {
          const v = item.variants.find((x) => x.sku === sku);
          if (v) { label = item.variants.length > 1 && v.name && v.name !== item.name ? `${item.name} / ${v.name}` : item.name; break; }
        }
        cache.current.set(sku, label);
      });
      setN((n) => n + 1);
    }, () => { for (const sku of missing) cache.current.set(sku, ''); setN((n) => n + 1); });
  }, [key]);
  return (sku) => cache.current.get(sku) || '';
}

// ---- Pieces ----

function Section({ title, q, testid, children, wide }) {
  let body;
  if (q.data) body = children(q.data.rows);
  else if (q.error) body = <p class="banner error" role="alert">{errorMessage(q.error)}</p>;
  else body = <p class="muted" aria-busy="true">{t('state.loading')}</p>;
  return (
    <section class={`card dash-section${wide ? ' wide' : ''}`} data-testid={testid}>
      <h2>{title}</h2>
      {q.data && q.error && <p class="banner error" role="alert">{errorMessage(q.error)}</p>}
      {body}
    </section>
  );
}

function Kpi({ label, value, testid }) {
  return (
    <div class="kpi">
      <div class="label">{label}</div>
      <div class="value" data-testid={testid}>{value}</div>
    </div>
  );
}

function Kpis({ q, currency }) {
  const rows = q.data?.rows;
  const s = rows ? totals(rows) : null;
  const show = (f) => (s ? f(s) : '—');
  return (
    <div class="kpis" data-testid="dashboard-kpis" aria-busy={!s}>
      <Kpi label={t('kpi.netSales')} testid="dashboard-net-sales" value={show((x) => money(x.net, currency))} />
      <Kpi label={t('kpi.orders')} testid="dashboard-order-count" value={show((x) => number(x.orders))} />
      <Kpi label={t('kpi.avgTicket')} testid="dashboard-average-ticket" value={show((x) => (x.orders ? money(Math.round(x.net / x.orders), currency) : '—'))} />
      <Kpi label={t('kpi.tax')} testid="dashboard-tax" value={show((x) => money(x.tax, currency))} />
      <Kpi label={t('kpi.refunds')} testid="dashboard-refunds" value={show((x) => money(x.refunds, currency))} />
    </div>
  );
}

function hourly(rows) {
  const by = new Map(rows.map((r) => [Number(r.key), amount(r.netSales)]));
  const hours = [...by.keys()];
  // Business hours at least, every hour with figures in any case.
  const first = Math.min(9, ...hours), last = Math.max(18, ...hours);
  const labels = [], data = [];
  for (let h = first; h <= last; h++) { labels.push(t('hourLabel', { h })); data.push(by.get(h) || 0); }
  return { labels, data };
}

function monthly(rows, monthStart, days) {
  const by = new Map(rows.map((r) => [r.key, amount(r.netSales)]));
  const labels = [], data = [];
  for (let i = 0; i < days; i++) {
    const d = addDays(monthStart, i);
    labels.push(t('dayLabel', { d: i + 1 }));
    data.push(by.get(d) || 0);
  }
  return { labels, data };
}

function TopItems({ rows, currency }) {
  const top = [...rows].sort((a, b) => amount(b.netSales) - amount(a.netSales) || a.key.localeCompare(b.key)).slice(0, 10);
  const name = useItemNames(top.map((r) => r.key));
  if (!top.length) return <Empty>{t('empty.today')}</Empty>;
  return (
    <div class="table-wrap">
      <table data-testid="top-items">
        <thead><tr><th class="num">{t('col.rank')}</th><th>{t('col.item')}</th><th>{t('col.sku')}</th><th class="num">{t('col.quantity')}</th><th class="num">{t('col.orders')}</th><th class="num">{t('col.netSales')}</th></tr></thead>
        <tbody>
          {top.map((r, i) => (
            <tr data-testid="top-item" data-sku={r.key}>
              <td class="num">{i + 1}</td>
              <td>{name(r.key) || '—'}</td>
              <td><code>{r.key}</code></td>
              <td class="num">{number(r.quantity)}</td>
              <td class="num">{number(r.orderCount)}</td>
              <td class="num">{money(r.netSales, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LocationTable({ rows, names, currency }) {
  if (!rows.length) return <Empty>{t('empty.today')}</Empty>;
  const sorted = [...rows].sort((a, b) => amount(b.netSales) - amount(a.netSales));
  return (
    <div class="table-wrap">
      <table data-testid="location-figures">
        <thead><tr><th>{t('col.location')}</th><th class="num">{t('col.orders')}</th><th class="num">{t('col.netSales')}</th><th class="num">{t('col.avgTicket')}</th><th class="num">{t('col.tax')}</th><th class="num">{t('col.refunds')}</th></tr></thead>
        <tbody>
          {sorted.map((r) => (
            <tr data-testid="location-row" data-location-id={r.key}>
              <td>{names.get(r.key) || t('location.unknown')}</td>
              <td class="num">{number(r.orderCount)}</td>
              <td class="num">{money(r.netSales, currency)}</td>
              <td class="num">{r.orderCount ? money(Math.round(amount(r.netSales) / r.orderCount), currency) : '—'}</td>
              <td class="num">{money(r.tax, currency)}</td>
              <td class="num">{money(r.refunds, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RegisterTable({ rows, names, currency }) {
  if (!rows.length) return <Empty>{t('empty.today')}</Empty>;
  const locName = (r) => r.register?.location?.name || names.get(r.register?.location?.id) || '—';
  const sorted = [...rows].sort((a, b) => locName(a).localeCompare(locName(b)) || (a.register?.number ?? 0) - (b.register?.number ?? 0));
  return (
    <div class="table-wrap">
      <table data-testid="register-figures">
        <thead><tr><th>{t('col.location')}</th><th>{t('col.register')}</th><th class="num">{t('col.orders')}</th><th class="num">{t('col.netSales')}</th><th class="num">{t('col.avgTicket')}</th></tr></thead>
        <tbody>
          {sorted.map((r) => (
            <tr data-testid="register-row" data-register-id={r.key}>
              <td>{r.register ? locName(r) : '—'}</td>
              <td class="nowrap">{r.register ? `${r.register.number}. ${r.register.name}` : t('register.none')}</td>
              <td class="num">{number(r.orderCount)}</td>
              <td class="num">{money(r.netSales, currency)}</td>
              <td class="num">{r.orderCount ? money(Math.round(amount(r.netSales) / r.orderCount), currency) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- Page ----

export function Dashboard() {
  const s = useSignal(session);
  const { query } = useRoute();
  const locQ = useLive(Q_LOCATIONS, {}, 0);
  const locations = locQ.data?.locations || [];
  const names = new Map(locations.map((l) => [l.id, l.name]));
  const locId = query.get('location') || '';
  const loc = locations.find((l) => l.id === locId) || null;
  const currency = s?.tenant?.currency || 'JPY';
  const tz = loc?.timezone || s?.tenant?.timezone || 'Asia/Tokyo';

  // tick moves every 30 s while the page is visible, and on Reload.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => { if (document.visibilityState !== 'hidden') setTick((n) => n + 1); }, 30_000);
    const onVisible = () => { if (document.visibilityState === 'visible') setTick((n) => n + 1); };
    document.addEventListener('visibilitychange', onVisible);
    return () => { clearInterval(id); document.removeEventListener('visibilitychange', onVisible); };
  }, []);

  const day = todayIn(tz);
  const monthStart = `${day.slice(0, 8)}01`;
  const nextMonth = (() => { const [y, m] = day.split('-').map(Number); return m === 12 ? `${y + 1}-01-01` : `${y}-${pad(m + 1)}-01`; })();
  const monthDays = daysBetween(monthStart, nextMonth);
  const dayVars = { from: midnight(day, tz), to: midnight(addDays(day, 1), tz), loc: locId || null };
  const monthVars = { from: midnight(monthStart, tz), to: midnight(nextMonth, tz), loc: locId || null };
  // Wait for the locations when one is chosen, to use its time zone. Over
  // 50 locations a summary of all is refused (reports.MaxSummaryLocations):
  // ask for one location.
  const tooMany = !locId && locations.length > MAX_SUMMARY_LOCATIONS;
  const wait = (!!locId && !locQ.data) || tooMany;

  const hourQ = useLive(Q_HOUR, dayVars, tick, wait);
  const methodQ = useLive(Q_METHOD, dayVars, tick, wait);
  const itemQ = useLive(Q_ITEM, dayVars, tick, wait);
  const locationQ = useLive(Q_LOCATION, dayVars, tick, wait || !!locId);
  const registerQ = useLive(Q_REGISTER, dayVars, tick, wait);
  const dayQ = useLive(Q_DAY, monthVars, tick, wait);

  const asOf = asOfOf(hourQ.data?.rows) || asOfOf(dayQ.data?.rows);
  const fmt = (v) => money(v, currency);

  const chooseLocation = (e) => {
    const v = e.currentTarget.value;
    navigate(v ? `/?location=${encodeURIComponent(v)}` : '/', { replace: true });
  };

  const actions = (
    <>
      <label class="dash-filter">
        <span>{t('location')}</span>
        <select name="locationId" value={locId} onChange={chooseLocation} data-testid="dashboard-location">
          <option value="">{t('location.all')}</option>
          {locations.map((l) => <option value={l.id}>{l.name}</option>)}
        </select>
      </label>
      <button type="button" onClick={() => setTick((n) => n + 1)} data-testid="dashboard-reload">{t('action.reload')}</button>
    </>
  );

  const registers = (
    <Section title={t('byRegister')} q={registerQ} testid="section-registers" wide={!locId}>
      {(rows) => <RegisterTable rows={rows} names={names} currency={currency} />}
    </Section>
  );

  return (
    <Page title={t('title')} actions={actions}>
      <p class="dash-meta">
        <strong>{t('today', { date: date(day) })}</strong>
        {' '}
        <span class="muted" data-testid="dashboard-as-of" data-as-of={asOf || ''}>
          {asOf ? t('asOf', { time: dateTime(asOf, tz) }) : hourQ.at ? t('loadedAt', { time: dateTime(hourQ.at, tz) }) : ''}
        </span>
      </p>
      <p class="muted small">{t('lag')}</p>
      {locQ.error && <p class="banner error" role="alert">{errorMessage(locQ.error)}</p>}
      {tooMany && <p class="banner warn" role="status" data-testid="dashboard-choose-location">{t('tooMany', { n: MAX_SUMMARY_LOCATIONS })}</p>}
      {hourQ.error && !hourQ.data && <p class="banner error" role="alert" data-testid="dashboard-error">{errorMessage(hourQ.error)}</p>}

      {!tooMany && <Kpis q={hourQ} currency={currency} />}

      {!tooMany && <div class="dash-grid">
        <Section title={t('hourly')} q={hourQ} testid="section-hourly" wide>
          {(rows) => (rows.length === 0 ? <Empty>{t('empty.today')}</Empty> : (() => {
            const h = hourly(rows);
            return <div data-testid="chart-hourly"><ChartView type="bar" labels={h.labels} datasets={[{ label: t('kpi.netSales'), data: h.data }]} format={fmt} label={t('hourly')} /></div>;
          })())}
        </Section>
        <Section title={t('methods')} q={methodQ} testid="section-methods">
          {(rows) => {
            const shown = rows.filter((r) => amount(r.netSales) > 0);
            if (!shown.length) return <Empty>{t('empty.today')}</Empty>;
            return (
              <div data-testid="chart-methods">
                <ChartView type="doughnut" labels={shown.map((r) => t(`m.${r.key}`))} datasets={[{ label: t('kpi.netSales'), data: shown.map((r) => amount(r.netSales)) }]} format={fmt} label={t('methods')} />
                <ul class="dash-legend" data-testid="methods-list">
                  {rows.map((r) => <li data-method={r.key}><span>{t(`m.${r.key}`)}</span><span class="num">{money(r.netSales, currency)}</span></li>)}
                </ul>
              </div>
            );
          }}
        </Section>
        {/* Beside the methods: the locations (all of them), else the registers (one location). */}
        {!locId && (
          <Section title={t('byLocation')} q={locationQ} testid="section-locations">
            {(rows) => <LocationTable rows={rows} names={names} currency={currency} />}
          </Section>
        )}
        {locId && registers}
        <Section title={t('topItems')} q={itemQ} testid="section-top-items" wide>
          {(rows) => <TopItems rows={rows} currency={currency} />}
        </Section>
        {!locId && registers}
        <Section title={t('monthly')} q={dayQ} testid="section-monthly" wide>
          {(rows) => {
            if (!rows.length) return <Empty>{t('empty.month')}</Empty>;
            const m = monthly(rows, monthStart, monthDays);
            const tot = totals(rows);
            return (
              <>
                <p class="muted" data-testid="month-total">{t('month.total', { net: money(tot.net, currency), orders: number(tot.orders) })}</p>
                <div data-testid="chart-monthly"><ChartView type="bar" labels={m.labels} datasets={[{ label: t('kpi.netSales'), data: m.data }]} format={fmt} label={t('monthly')} /></div>
              </>
            );
          }}
        </Section>
      </div>}
    </Page>
  );
}
