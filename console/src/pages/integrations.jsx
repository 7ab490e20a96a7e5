// /integrations: every integration with its health at a glance (status,
// last success, lag, pending and failed jobs, warnings), each opening its
// detail page, and the cards that connect freee, Shopify or a webhook.
import { useState } from 'preact/hooks';
import { messages, ago, number } from '../i18n.js';
import { Empty, Link, Loaded, Page, useQuery } from '../ui.jsx';
import { ConnectFreeeButton } from './freee.jsx';
import { ShopifyConnect, WebhookConnect } from './integrations-connect.jsx';
import { StatusBadge, lag, providerName } from './integrations-shared.jsx';

export { IntegrationDetail } from './integrations-detail.jsx';

const t = messages({
  ja: {
    title: '連携', lead: '売上・在庫・レジ締めを会計やネットショップ、社内システムへ自動で送ります。',
    'c.provider': 'サービス', 'c.name': '名前', 'c.status': '状態', 'c.lastSuccess': '最終成功', 'c.lag': '遅延',
    'c.pending': '待機中', 'c.failed': '失敗', 'c.warnings': '警告', empty: 'まだ連携はありません。下から接続できます。',
    'connect.title': '新しく接続する',
    'freee.body': 'レジ締めごとに、売上を freee会計の取引として記帳します。freee の画面で許可し、勘定科目・税区分・口座を選ぶだけです。',
    'shopify.body': '店舗とネットショップの在庫数を一致させ、オンライン注文を売上として取り込みます。',
    'webhook.body': '販売・返品・在庫・レジ締めなどのイベントを、署名付きで任意の HTTPS の URL に送ります。',
    open: '接続する', close: '閉じる',
  },
  en: {
    title: 'Integrations', lead: 'Sales, stock and closes flow on by themselves to accounting, your online shop and your own systems.',
    'c.provider': 'Service', 'c.name': 'Name', 'c.status': 'Status', 'c.lastSuccess': 'Last success', 'c.lag': 'Lag',
    'c.pending': 'Pending', 'c.failed': 'Failed', 'c.warnings': 'Warnings', empty: 'No integrations yet. Connect one below.',
    'connect.title': 'Connect',
    'freee.body': 'Each close is booked in freee Accounting as a deal. Allow renkei on freee\'s page, then pick the account items, tax codes and accounts.',
    'shopify.body': 'Keeps the shop\'s stock equal to the store\'s, and imports online orders as sales.',
    'webhook.body': 'Sends sales, refunds, stock changes, closes and more, signed, to any HTTPS URL.',
    open: 'Connect', close: 'Close',
  },
});

// The list asks warnings' codes only: their items for up to 50
// integrations would pass the API's cost limit.
const Q = `{ integrations { id provider name status lastSuccessAt lastError pendingJobs failedJobs lagSeconds createdAt warnings { code count } }
  locations { id name } }`;

function IntegrationRows({ list }) {
  if (!list.length) return <Empty>{t('empty')}</Empty>;
  return (
    <div class="table-wrap">
      <table data-testid="integrations-table">
        <thead><tr>
          <th>{t('c.provider')}</th><th>{t('c.name')}</th><th>{t('c.status')}</th><th>{t('c.lastSuccess')}</th>
          <th class="num">{t('c.lag')}</th><th class="num">{t('c.pending')}</th><th class="num">{t('c.failed')}</th><th class="num">{t('c.warnings')}</th>
        </tr></thead>
        <tbody>
          {list.map((i) => (
            <tr data-testid="integration-row" data-provider={i.provider} data-status={i.status} data-id={i.id} class="row-link">
              <td>{providerName(i.provider)}</td>
              <td><Link href={`/integrations/${i.id}`} data-testid="integration-link">{i.name}</Link></td>
              <td><StatusBadge status={i.status} /></td>
              <td title={i.lastSuccessAt || ''}>{ago(i.lastSuccessAt)}</td>
              <td class="num">{lag(i.lagSeconds)}</td>
              <td class="num">{number(i.pendingJobs)}</td>
              <td class={`num${i.failedJobs ? ' bad' : ''}`} data-testid="integration-failed">{number(i.failedJobs)}</td>
              <td class="num" title={i.warnings.map((w) => `${w.code}: ${w.count}`).join('\n')}>{number(i.warnings.length)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ConnectCard({ id, title, body, open, setOpen, children }) {
  return (
    <div class={`card connect-card${open === id ? ' open' : ''}`} data-testid={`card-${id}`}>
      <h3>{title}</h3>
      <p class="muted">{body}</p>
      {open === id ? (
        <>
          {children}
          <button type="button" class="link" onClick={() => setOpen('')}>{t('close')}</button>
        </>
      ) : (
        <button type="button" class="primary" onClick={() => setOpen(id)} data-testid={`connect-${id}`}>{t('open')}</button>
      )}
    </div>
  );
}

export function Integrations() {
  const q = useQuery(Q, {});
  const [open, setOpen] = useState('');
  return (
    <Page title={t('title')}>
      <p class="muted">{t('lead')}</p>
      <Loaded q={q}>{(d) => (
        <>
          <IntegrationRows list={d.integrations} />
          <h2>{t('connect.title')}</h2>
          <div class="connect-grid">
            <div class="card connect-card" data-testid="card-freee">
              <h3>{providerName('FREEE')}</h3>
              <p class="muted">{t('freee.body')}</p>
              <ConnectFreeeButton />
            </div>
            <ConnectCard id="shopify" title={providerName('SHOPIFY')} body={t('shopify.body')} open={open} setOpen={setOpen}>
              <ShopifyConnect locations={d.locations} onConnected={q.reload} />
            </ConnectCard>
            <ConnectCard id="webhook" title={providerName('WEBHOOK')} body={t('webhook.body')} open={open} setOpen={setOpen}>
              <WebhookConnect onConnected={q.reload} />
            </ConnectCard>
          </div>
        </>
      )}</Loaded>
    </Page>
  );
}
