// /integrations/{id}: one integration's health, refreshed every 10 s —
// status, last success, the last error, lag, pending and failed jobs (each
// failed one with its readable error and a retry), the warnings, a full
// resync and disconnecting; for freee, fixing the account mapping (then
// retrying what freee refused).
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { messages, ago, date, dateTime, money, number, today } from '../i18n.js';
import { useRoute } from '../router.js';
import { Empty, Link, Loaded, Page, errorText, useQuery } from '../ui.jsx';
import { FreeeMapping, useOptions, valuesFromSettings } from './integrations-freee.jsx';
import { JobBadge, StatusBadge, Warnings, kindName, lag, providerName, t as st } from './integrations-shared.jsx';

const t = messages({
  ja: {
    back: '← 連携の一覧', status: '状態', lastSuccess: '最終成功', lag: '遅延（最も古い待機ジョブ）', pending: '待機中のジョブ', failed: '失敗したジョブ',
    connectedAt: '接続日時', lastError: '直近のエラー', settings: '設定', connected: '接続しました。',
    'jobs.failed': '失敗したジョブ', 'jobs.pending': '待機中のジョブ', 'jobs.none.failed': '失敗したジョブはありません。', 'jobs.none.pending': '待機中のジョブはありません。',
    'c.kind': '種類・対象', 'c.attempts': '試行', 'c.error': 'エラー', 'c.updated': '更新', 'c.next': '次の試行', 'c.status': '状態',
    retry: '再試行', retried: '再試行を予約しました。', retryAll: 'このページの {n} 件をすべて再試行', retriedAll: '{n} 件の再試行を予約しました。', more: '次のページ', first: '最初のページ',
    resync: '全件再同期', 'resync.body': 'EC は全店舗の在庫数をすべて送り直し、会計はまだ記帳されていない締め済みの日をすべて記帳します。', 'resync.confirm': '再同期を開始する', 'resync.done': '再同期を開始しました。',
    disconnect: '連携を解除', 'disconnect.body': '解除すると、以後この連携には何も送られません。再開するには新しく接続し直します。', 'disconnect.confirm': '解除する', 'disconnect.done': '連携を解除しました。',
    warnings: '警告', fix: 'マッピングを修正', 'fix.body': 'freee が記帳を拒否したとき（勘定科目や税区分が削除された等）は、ここで選び直してから失敗したジョブを再試行してください。',
    'fix.load': 'freee から選択肢を読み込む', 'fix.save': 'マッピングを保存', 'fix.saved': 'マッピングを保存しました。失敗したジョブを再試行してください。',
    'fix.reauth': 'freee がこの連携のトークンを受け付けません。連携を解除して接続し直してください。',
    close: '{date} {location} のレジ締め（第{rev}版）', refreshed: '10秒ごとに自動更新', notFound: 'この連携は見つかりません。',
  },
  en: {
    back: '← All integrations', status: 'Status', lastSuccess: 'Last success', lag: 'Lag (oldest pending job)', pending: 'Pending jobs', failed: 'Failed jobs',
    connectedAt: 'Connected', lastError: 'Last error', settings: 'Settings', connected: 'Connected.',
    'jobs.failed': 'Failed jobs', 'jobs.pending': 'Pending jobs', 'jobs.none.failed': 'No failed jobs.', 'jobs.none.pending': 'No pending jobs.',
    'c.kind': 'Job', 'c.attempts': 'Attempts', 'c.error': 'Error', 'c.updated': 'Updated', 'c.next': 'Next attempt', 'c.status': 'Status',
    retry: 'Retry', retried: 'Retry queued.', retryAll: 'Retry all {n} on this page', retriedAll: '{n} retries queued.', more: 'Next page', first: 'First page',
    resync: 'Full resync', 'resync.body': 'EC: every stock level of every mapped location is pushed again. Accounting: every closed day not yet posted is posted.', 'resync.confirm': 'Start the resync', 'resync.done': 'Resync started.',
    disconnect: 'Disconnect', 'disconnect.body': 'Nothing more is sent to this integration. To resume, connect it again.', 'disconnect.confirm': 'Disconnect', 'disconnect.done': 'Disconnected.',
    warnings: 'Warnings', fix: 'Fix the mapping', 'fix.body': 'When freee refuses a post (an account item or tax code deleted, …), choose again here, then retry the failed jobs.',
    'fix.load': 'Load the choices from freee', 'fix.save': 'Save the mapping', 'fix.saved': 'Mapping saved. Now retry the failed jobs.',
    'fix.reauth': 'freee refuses this integration\'s token. Disconnect it and connect again.',
    close: 'Close of {date} at {location} (revision {rev})', refreshed: 'Refreshes every 10 s', notFound: 'No such integration.',
  },
});

const JOB = `id kind status attempts lastError createdAt updatedAt eventId eventType nextAttemptAt`;
const Q = `query($id: ID!) { integration(id: $id) { id provider name status settings lastSuccessAt lastError pendingJobs failedJobs lagSeconds createdAt warnings { code message count items } }
  locations { id name } }`;
const JOBS = `query($id: ID!, $status: IntegrationJobStatus, $after: String) {
  integrationJobs(integrationId: $id, status: $status, first: 20, after: $after) { nodes { ${JOB} } pageInfo { hasNextPage endCursor } } }`;

// useTick re-runs every 10 s while the page is open.
function useTick(ms = 10_000) {
  const [n, setN] = useState(0);
  useEffect(() => {
    const h = setInterval(() => { if (!document.hidden) setN((x) => x + 1); }, ms);
    return () => clearInterval(h);
  }, []);
  return n;
}

// useCloseIndex maps the jobs of an accounting integration to the closes
// they post (the last 31 business days), so a failed post names its day
// and location. Nothing is shown when the listing fails (e.g. over 400
// closes): the job is still listed.
const CLOSES = `query($from: String!, $to: String!) { closes(from: $from, to: $to) {
  businessDate revision location { name } netSales { amount currency } accounting { jobId } } }`;

function useCloseIndex(enabled, tick, tz) {
  const [index, setIndex] = useState({});
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const to = today(tz);
    const from = new Date(Date.parse(to + 'T00:00:00Z') - 30 * 86400_000).toISOString().slice(0, 10);
    gql(CLOSES, { from, to }).then((d) => {
      const m = {};
      for (const c of d.closes) for (const a of c.accounting) m[a.jobId] ||= c;
      if (live) setIndex(m);
    }, () => {});
    return () => { live = false; };
  }, [enabled, tick]);
  return index;
}

// useAction runs one mutation at a time and keeps its message.
function useAction() {
  const [state, setState] = useState({ busy: false, ok: '', error: '' });
  const run = async (fn, okText) => {
    setState({ busy: true, ok: '', error: '' });
    try {
      const ues = await fn();
      if (ues.length) setState({ busy: false, ok: '', error: ues.map((u) => u.message).join(' ') });
      else setState({ busy: false, ok: okText, error: '' });
      return ues.length === 0;
    } catch (e) {
      setState({ busy: false, ok: '', error: errorText(e) });
      return false;
    }
  };
  return { ...state, run };
}

function Message({ a, testid }) {
  if (a.error) return <p class="form-error" role="alert" data-testid={`${testid}-error`}>{a.error}</p>;
  if (a.ok) return <p class="ok" role="status" data-testid={`${testid}-ok`}>{a.ok}</p>;
  return null;
}

function Jobs({ integrationId, status, tick, onChange, tz, accounting }) {
  const [after, setAfter] = useState(null);
  const q = useQuery(JOBS, { id: integrationId, status, after }, [integrationId, status, after, tick]);
  const closes = useCloseIndex(accounting && !!q.data?.integrationJobs.nodes.some((j) => j.kind === 'POST_DAILY_SALES'), tick, tz);
  const retry = useAction();
  const doRetry = async (id) => {
    const ok = await retry.run(async () => (await gql(`mutation($input: RetryIntegrationJobInput!) { retryIntegrationJob(input: $input) { job { id status } userErrors { field message code } } }`, { input: { id } })).retryIntegrationJob.userErrors, t('retried'));
    if (ok) { q.reload(); onChange(); }
  };
  const failed = status === 'FAILED';
  const retryAll = async (jobs) => {
    const ok = await retry.run(async () => {
      const ues = [];
      for (const j of jobs) {
        ues.push(...(await gql(`mutation($input: RetryIntegrationJobInput!) { retryIntegrationJob(input: $input) { job { id status } userErrors { field message code } } }`, { input: { id: j.id } })).retryIntegrationJob.userErrors);
      }
      return ues;
    }, t('retriedAll', { n: jobs.length }));
    if (ok) { q.reload(); onChange(); }
  };
  return (
    <section class="card" data-testid={failed ? 'failed-jobs' : 'pending-jobs'}>
      <h2>{failed ? t('jobs.failed') : t('jobs.pending')}</h2>
      {failed && <Message a={retry} testid="job-retry" />}
      <Loaded q={q}>{(d) => {
        const jobs = d.integrationJobs.nodes;
        if (!jobs.length) return <Empty>{failed ? t('jobs.none.failed') : t('jobs.none.pending')}</Empty>;
        return (
          <>
            <div class="table-wrap">
              <table>
                <thead><tr>
                  <th>{t('c.kind')}</th><th class="num">{t('c.attempts')}</th>
                  <th>{failed ? t('c.error') : t('c.status')}</th><th>{failed ? t('c.updated') : t('c.next')}</th>{failed && <th />}
                </tr></thead>
                <tbody>
                  {jobs.map((j) => (
                    <tr data-testid={failed ? 'failed-job' : 'pending-job'} data-job-id={j.id} data-kind={j.kind}>
                      <td class="job-what">
                        {kindName(j.kind)}{closes[j.id] && <CloseRef c={closes[j.id]} tz={tz} />}
                        {j.eventType && <small class="muted block">{j.eventType}{j.eventId && ` · ${j.eventId}`}</small>}
                      </td>
                      <td class="num">{number(j.attempts)}</td>
                      <td>{failed ? <p class="job-error" data-testid="job-error">{j.lastError || '—'}</p> : <><JobBadge status={j.status} />{j.lastError && <p class="job-error muted">{j.lastError}</p>}</>}</td>
                      <td>{failed ? dateTime(j.updatedAt, tz) : (j.nextAttemptAt ? dateTime(j.nextAttemptAt, tz) : ago(j.createdAt))}</td>
                      {failed && <td><button type="button" disabled={retry.busy} onClick={() => doRetry(j.id)} data-testid="job-retry">{t('retry')}</button></td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="row">
              {failed && jobs.length > 1 && <button type="button" disabled={retry.busy} onClick={() => retryAll(jobs)} data-testid="job-retry-all">{t('retryAll', { n: jobs.length })}</button>}
              {after && <button type="button" onClick={() => setAfter(null)}>{t('first')}</button>}
              {d.integrationJobs.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(d.integrationJobs.pageInfo.endCursor)} data-testid={failed ? 'failed-next' : 'pending-next'}>{t('more')}</button>}
            </div>
          </>
        );
      }}</Loaded>
    </section>
  );
}

// CloseRef names the close a POST_DAILY_SALES job posts.
function CloseRef({ c, tz }) {
  return (
    <small class="block" data-testid="job-close">
      <Link href="/closes">{t('close', { date: date(c.businessDate, tz), location: c.location.name, rev: c.revision })}</Link> {money(c.netSales)}
    </small>
  );
}

// Confirmed is a button that asks once more, inline (no browser dialog).
function Confirmed({ label, body, confirmLabel, testid, danger, onConfirm, a }) {
  const [asking, setAsking] = useState(false);
  return (
    <div class="confirm-box">
      {!asking ? (
        <button type="button" class={danger ? 'danger' : ''} onClick={() => setAsking(true)} data-testid={testid}>{label}</button>
      ) : (
        <div class="banner warn" role="alertdialog">
          <p>{body}</p>
          <div class="row">
            <button type="button" class={danger ? 'danger' : 'primary'} disabled={a.busy} onClick={async () => { await onConfirm(); setAsking(false); }} data-testid={`${testid}-confirm`}>{confirmLabel}</button>
            <button type="button" onClick={() => setAsking(false)}>{t('action.cancel')}</button>
          </div>
        </div>
      )}
      <Message a={a} testid={testid} />
    </div>
  );
}

function FreeeFix({ integration, locations, onSaved }) {
  const opt = useOptions();
  const [saved, setSaved] = useState(false);
  const companyId = integration.settings?.companyId;
  const submit = async (settings) => {
    setSaved(false);
    const r = (await gql(`mutation($input: UpdateIntegrationSettingsInput!) { updateIntegrationSettings(input: $input) { integration { id settings } userErrors { field message code } } }`,
      { input: { id: integration.id, settings } })).updateIntegrationSettings;
    if (r.userErrors.length === 0) { setSaved(true); onSaved(); }
    return r.userErrors;
  };
  return (
    <section class="card" data-testid="freee-fix">
      <h2>{t('fix')}</h2>
      <p class="muted">{t('fix.body')}</p>
      {!opt.options && (
        <button type="button" disabled={opt.busy || !companyId} onClick={() => opt.load({ integrationId: integration.id, companyId })} data-testid="freee-fix-load">
          {opt.busy ? t('state.loading') : t('fix.load')}
        </button>
      )}
      {opt.error && <p class="form-error" role="alert" data-testid="freee-options-error">{opt.error.code === 'INVALID' ? t('fix.reauth') : errorText(opt.error)}</p>}
      {saved && <p class="ok" role="status" data-testid="freee-fix-saved">{t('fix.saved')}</p>}
      {opt.options && (
        <FreeeMapping options={opt.options} locations={locations} initial={valuesFromSettings(integration.settings)} clearStartDate={!!integration.settings?.startDate}
          submit={submit} submitLabel={t('fix.save')} submitTestId="freee-fix-submit" />
      )}
    </section>
  );
}

// SettingsView shows the public settings (secrets are never returned).
function SettingsView({ integration, locations }) {
  const s = integration.settings || {};
  const name = (id) => locations.find((l) => l.id === id)?.name || id;
  const rows = Object.entries(s).filter(([k]) => k !== 'accountMapping');
  if (!rows.length) return null;
  return (
    <dl class="settings-view" data-testid="integration-settings">
      {rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{k === 'locationMap' && v ? Object.entries(v).map(([loc, gid]) => <div><strong>{name(loc)}</strong> → <code>{gid}</code></div>)
            : k === 'orderLocationId' ? name(v)
              : <code>{Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v ? JSON.stringify(v) : String(v)}</code>}</dd>
        </>
      ))}
    </dl>
  );
}

function Detail({ i, locations, reload, tick }) {
  const tz = session.get()?.tenant?.timezone;
  const { query } = useRoute();
  const resync = useAction();
  const disc = useAction();
  const live = i.status !== 'DISCONNECTED';
  const mutate = (name, type, okText, a) => a.run(async () => {
    const r = (await gql(`mutation($input: ${type}!) { ${name}(input: $input) { integration { id status } userErrors { field message code } } }`, { input: { id: i.id } }))[name];
    reload();
    return r.userErrors;
  }, okText);
  return (
    <>
      <p><Link href="/integrations">{t('back')}</Link> <span class="muted">· {t('refreshed')}</span></p>
      {query.get('connected') && <p class="ok" role="status" data-testid="connected">{t('connected')}</p>}
      <div class="kpis health" data-testid="health">
        <div class="kpi"><span class="label">{t('status')}</span><span class="value"><StatusBadge status={i.status} data-testid="health-status" data-status={i.status} /></span></div>
        <div class="kpi"><span class="label">{t('lastSuccess')}</span><span class="value" title={i.lastSuccessAt ? dateTime(i.lastSuccessAt, tz) : ''} data-testid="health-last-success">{ago(i.lastSuccessAt)}</span></div>
        <div class="kpi"><span class="label">{t('lag')}</span><span class="value" data-testid="health-lag">{lag(i.lagSeconds)}</span></div>
        <div class="kpi"><span class="label">{t('pending')}</span><span class="value" data-testid="health-pending-count">{number(i.pendingJobs)}</span></div>
        <div class="kpi"><span class="label">{t('failed')}</span><span class={`value${i.failedJobs ? ' bad' : ''}`} data-testid="health-failed-count">{number(i.failedJobs)}</span></div>
      </div>
      {i.lastError && (
        // An error stays recorded after later successes: loud only while the integration is failing.
        <div class={`banner ${i.status === 'ERROR' || i.failedJobs ? 'error' : 'info'}`} role={i.status === 'ERROR' ? 'alert' : 'status'}>
          <strong>{t('lastError')}</strong><p class="job-error" data-testid="integration-error">{i.lastError}</p>
        </div>
      )}
      <section class="card">
        <h2>{t('settings')}</h2>
        <p class="muted">{providerName(i.provider)} · {t('connectedAt')} {dateTime(i.createdAt, tz)}</p>
        <SettingsView integration={i} locations={locations} />
        {live && (
          <div class="row actions-row">
            <Confirmed label={t('resync')} body={t('resync.body')} confirmLabel={t('resync.confirm')} testid="resync" a={resync}
              onConfirm={() => mutate('syncIntegration', 'SyncIntegrationInput', t('resync.done'), resync)} />
            <Confirmed label={t('disconnect')} body={t('disconnect.body')} confirmLabel={t('disconnect.confirm')} testid="disconnect" danger a={disc}
              onConfirm={() => mutate('disconnectIntegration', 'DisconnectIntegrationInput', t('disconnect.done'), disc)} />
          </div>
        )}
      </section>
      <Jobs integrationId={i.id} status="FAILED" tick={tick} onChange={reload} tz={tz} accounting={i.provider === 'FREEE'} />
      {i.provider === 'FREEE' && live && <FreeeFix integration={i} locations={locations} onSaved={reload} />}
      <Jobs integrationId={i.id} status="PENDING" tick={tick} onChange={reload} tz={tz} accounting={i.provider === 'FREEE'} />
      {(i.provider === 'SHOPIFY' || i.warnings.length > 0) && (
        <section class="card" data-testid="integration-warnings">
          <h2>{t('warnings')}</h2>
          <Warnings warnings={i.warnings} withItems />
        </section>
      )}
    </>
  );
}

export function IntegrationDetail({ id }) {
  const tick = useTick();
  const q = useQuery(Q, { id }, [id, tick]);
  // A refresh that fails keeps the last answer on screen (and any form
  // being filled in), with the error above it.
  const last = useRef(null);
  if (q.data) last.current = q.data;
  const data = q.data || last.current;
  const found = data?.integration;
  return (
    <Page title={found ? found.name : st('title')}>
      {q.error && data && <p class="banner warn" role="status" data-testid="refresh-error">{errorText(q.error)}</p>}
      {data ? (
        found ? <Detail i={found} locations={data.locations} reload={q.reload} tick={tick} /> : <Empty>{t('notFound')}</Empty>
      ) : <Loaded q={q}>{() => null}</Loaded>}
    </Page>
  );
}
