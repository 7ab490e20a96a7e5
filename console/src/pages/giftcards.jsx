// Gift cards (ギフトカード): look a card up by number (balance, state and
// its ledger), issue an e-gift card, correct, deactivate or cash out a card
// (MANAGER, OWNER), and the unused balance as of a date for the Payment
// Services Act (資金決済法).
import { useState } from 'preact/hooks';
import { ApiError, gql, session } from '../api.js';
import { date, dateTime, messages, money, today } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Badge, Empty, Field, FormErrors, Page, Submit, useForm, useQuery } from '../ui.jsx';

const t = messages({
  ja: {
    title: 'ギフトカード',
    'lookup.title': 'カードを照会', 'lookup.number': 'カード番号（16桁）', 'lookup.hint': 'スペースやハイフンはあってもなくても構いません。照会は1分あたり20回までです。', 'lookup.submit': '照会',
    'lookup.invalid': 'カード番号を確認してください（16桁の数字で、最後の1桁はチェック用の数字です）。',
    'lookup.notFound': 'この番号のカードはありません。',
    'lookup.rate': '照会が多すぎます（1分あたり20回まで）。1分ほど待ってからお試しください。',
    'card.balance': '残高', 'card.state': '状態', 'card.issued': '発行', 'card.expires': '有効期限', 'card.noExpiry': '初回チャージから有効期間が始まります',
    'card.flagged': 'オフライン販売で残高を超えて利用されました', 'card.expired': '期限切れ', 'card.customer': '顧客ID',
    'state.PENDING': '未チャージ', 'state.ACTIVE': '利用可能', 'state.DEACTIVATED': '無効',
    'act.title': '利用履歴（新しい順）', 'act.more': '最新{n}件を表示しています。',
    'col.when': '日時', 'col.kind': '種類', 'col.amount': '金額', 'col.after': '残高', 'col.who': '担当', 'col.where': '店舗', 'col.note': '理由・注文',
    'kind.LOAD': 'チャージ', 'kind.REDEEM': '利用', 'kind.REFUND': '返金', 'kind.ADJUST': '残高修正', 'kind.DEACTIVATE': '無効化', 'kind.CASH_OUT': '払戻し',
    apiKey: 'APIキー', order: '注文',
    'adj.title': '残高を修正', 'adj.amount': '修正額（円、減らすときは -）', 'adj.amount.hint': '例: 500 で増額、-500 で減額。残高はマイナスにできません。', 'adj.reason': '理由', 'adj.submit': '残高を修正', 'adj.done': '残高を修正しました。',
    'deact.title': 'カードを無効化', 'deact.body': '紛失・盗難・不正利用のとき、カードを止めます。チャージも利用もできなくなり、元に戻せません。残高は修正するまで未使用残高に残ります。',
    'deact.reason': '理由', 'deact.submit': '無効化', 'deact.confirm': '本当に無効化する', 'deact.q': 'もう一度押すと、このカードは元に戻せない形で無効になります。', 'deact.done': 'カードを無効化しました。',
    'cash.title': '払戻し（現金で返す）', 'cash.body': '資金決済法により、払戻しは法令が認める場合（事業の廃止、カードの取扱い終了、少額の残高など）に限られます。その根拠を記録します。',
    'cash.amount': '払戻額（円）', 'cash.legalException': '払戻しが認められる根拠', 'cash.legalException.hint': '例: 事業廃止に伴う払戻し（資金決済法第20条）', 'cash.submit': '払戻しを記録', 'cash.done': '払戻しを記録しました。',
    'amount.bad': '整数の金額を入力してください',
    'issue.title': 'e-ギフトカードを発行', 'issue.body': '番号を発行します。最初のチャージ（POSでの販売）で有効になります。',
    'issue.customerId': '顧客ID（任意）', 'issue.submit': 'カードを発行', 'issue.done': '発行しました: {number}',
    'liab.title': '未使用残高（資金決済法）', 'liab.asOf': '基準となる日', 'liab.submit': '計算',
    'liab.unusedAt': '未使用残高（{d} 終了時点）', 'liab.regulated': '有効期間が6か月を超えるため、自家型前払式支払手段に該当します。',
    'liab.notRegulated': '有効期間が6か月以内のため、資金決済法の対象外です。',
    'liab.exceeded': '基準日の未使用残高が1,000万円を超えています。届出と、{deposit} 以上の発行保証金の供託が必要です。',
    'liab.under': '1,000万円以下です（供託は不要）。',
    'liab.ref': '基準日（3月31日・9月30日）', 'liab.prevRef': '前の基準日: {d}', 'liab.nextRef': '次の基準日: {d}', 'liab.isRef': 'この日は基準日です。',
    'liab.lag': '利用の記録から数秒遅れて反映されます。', 'liab.badDate': '日付を確認してください',
  },
  en: {
    title: 'Gift cards',
    'lookup.title': 'Look up a card', 'lookup.number': 'Card number (16 digits)', 'lookup.hint': 'Spaces or hyphens are fine. At most 20 look-ups a minute.', 'lookup.submit': 'Look up',
    'lookup.invalid': 'Check the number (16 digits; the last one is a check digit).',
    'lookup.notFound': 'No card has this number.',
    'lookup.rate': 'Too many look-ups (20 a minute). Please wait a minute and try again.',
    'card.balance': 'Balance', 'card.state': 'State', 'card.issued': 'Issued', 'card.expires': 'Expires', 'card.noExpiry': 'Validity starts at the first load',
    'card.flagged': 'An offline sale spent more than the card held', 'card.expired': 'Expired', 'card.customer': 'Customer ID',
    'state.PENDING': 'Not loaded', 'state.ACTIVE': 'Active', 'state.DEACTIVATED': 'Deactivated',
    'act.title': 'Activity (newest first)', 'act.more': 'Showing the latest {n}.',
    'col.when': 'When', 'col.kind': 'Kind', 'col.amount': 'Amount', 'col.after': 'Balance', 'col.who': 'By', 'col.where': 'Location', 'col.note': 'Reason / order',
    'kind.LOAD': 'Load', 'kind.REDEEM': 'Redeem', 'kind.REFUND': 'Refund', 'kind.ADJUST': 'Adjustment', 'kind.DEACTIVATE': 'Deactivated', 'kind.CASH_OUT': 'Cash-out',
    apiKey: 'API key', order: 'Order',
    'adj.title': 'Correct the balance', 'adj.amount': 'Amount (yen, − to reduce)', 'adj.amount.hint': 'e.g. 500 adds, -500 takes off. The balance cannot go below zero.', 'adj.reason': 'Reason', 'adj.submit': 'Correct balance', 'adj.done': 'Balance corrected.',
    'deact.title': 'Deactivate the card', 'deact.body': 'For a lost, stolen or misused card: no more loads or spends, for good. Its balance stays in the liability until adjusted.',
    'deact.reason': 'Reason', 'deact.submit': 'Deactivate', 'deact.confirm': 'Yes, deactivate', 'deact.q': 'Press again to deactivate this card for good.', 'deact.done': 'Card deactivated.',
    'cash.title': 'Cash-out (払戻し)', 'cash.body': 'The Payment Services Act allows paying a balance out only in the cases it lists (the business ending, the cards being withdrawn, small remainders). Record which one applies.',
    'cash.amount': 'Amount (yen)', 'cash.legalException': 'The exception that allows it', 'cash.legalException.hint': 'e.g. refund on closing the business (Payment Services Act art. 20)', 'cash.submit': 'Record cash-out', 'cash.done': 'Cash-out recorded.',
    'amount.bad': 'Enter a whole amount',
    'issue.title': 'Issue an e-gift card', 'issue.body': 'Generates a number; the card becomes active at its first load (a POS sale).',
    'issue.customerId': 'Customer ID (optional)', 'issue.submit': 'Issue card', 'issue.done': 'Issued: {number}',
    'liab.title': 'Unused balance (Payment Services Act)', 'liab.asOf': 'As of', 'liab.submit': 'Calculate',
    'liab.unusedAt': 'Unused balance (end of {d})', 'liab.regulated': 'Cards are valid for more than six months: they are 自家型前払式支払手段 under the Act.',
    'liab.notRegulated': 'Cards are valid for six months or less: outside the Act.',
    'liab.exceeded': 'The unused balance is over ¥10,000,000: file and deposit at least {deposit}.',
    'liab.under': 'At most ¥10,000,000: no deposit needed.',
    'liab.ref': 'Reference dates (31 March, 30 September)', 'liab.prevRef': 'Previous: {d}', 'liab.nextRef': 'Next: {d}', 'liab.isRef': 'This date is a reference date.',
    'liab.lag': 'Follows the card activity a few seconds behind.', 'liab.badDate': 'Check the date',
  },
});

const ACTIVITIES = 50;
const CARD = `number state balance { amount currency } flagged customerId issuedAt expiresAt expired
  activities(first: ${ACTIVITIES}) { nodes { id kind amount { amount currency } balanceAfter { amount currency } staffId apiKeyId locationId registerId occurredAt orderId refundId reason } pageInfo { hasNextPage } }`;
const PAYLOAD = `giftCard { ${CARD} } userErrors { field message code }`;

export const groupNumber = (n) => (n || '').replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
const digits = (n) => (n || '').replace(/[\s-]/g, '');

// minorUnits reads a typed whole amount ("1,000", "-500") as the currency's
// minor units, or null.
function minorUnits(s, currency) {
  const v = (s || '').replace(/[,\s¥円]/g, '');
  if (!/^[+-]?\d{1,13}$/.test(v)) return null;
  const d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  return Number(v) * 10 ** d;
}

function CardView({ card, names, tz }) {
  const acts = card.activities.nodes;
  return (
    <div class="card" data-testid="giftcard" data-state={card.state}>
      <h2 class="card-number" data-testid="giftcard-number">{groupNumber(card.number)}</h2>
      <div class="kpis">
        <div class="kpi"><div class="label">{t('card.balance')}</div><div class="value" data-testid="giftcard-balance">{money(card.balance)}</div></div>
        <div class="kpi"><div class="label">{t('card.state')}</div><div class="value"><Badge kind={card.state === 'ACTIVE' ? 'ok' : card.state === 'PENDING' ? 'info' : 'neutral'} data-testid="giftcard-state">{t(`state.${card.state}`)}</Badge> {card.expired && <Badge kind="warn">{t('card.expired')}</Badge>}</div></div>
        <div class="kpi"><div class="label">{t('card.expires')}</div><div class="value small">{card.expiresAt ? dateTime(card.expiresAt, tz) : <span class="muted">{t('card.noExpiry')}</span>}</div></div>
        <div class="kpi"><div class="label">{t('card.issued')}</div><div class="value small">{dateTime(card.issuedAt, tz)}</div></div>
      </div>
      {card.flagged && <p class="banner warn" data-testid="giftcard-flagged">{t('card.flagged')}</p>}
      {card.customerId && <p class="muted">{t('card.customer')}: <code>{card.customerId}</code></p>}
      <h3>{t('act.title')}</h3>
      {acts.length === 0 ? <Empty /> : (
        <div class="table-wrap">
          <table data-testid="giftcard-activities">
            <thead><tr><th>{t('col.when')}</th><th>{t('col.kind')}</th><th class="num">{t('col.amount')}</th><th class="num">{t('col.after')}</th><th>{t('col.who')}</th><th>{t('col.where')}</th><th>{t('col.note')}</th></tr></thead>
            <tbody>
              {acts.map((a) => (
                <tr data-kind={a.kind}>
                  <td>{dateTime(a.occurredAt, tz)}</td>
                  <td><Badge kind={a.amount.amount < 0 ? 'neutral' : 'info'}>{t(`kind.${a.kind}`)}</Badge></td>
                  <td class="num">{money(a.amount)}</td>
                  <td class="num">{a.balanceAfter ? money(a.balanceAfter) : '—'}</td>
                  <td>{a.staffId ? (names.staff[a.staffId] || '—') : a.apiKeyId ? t('apiKey') : '—'}</td>
                  <td>{a.locationId ? (names.locations[a.locationId] || '—') : '—'}</td>
                  <td class="wrap">{a.reason}{a.orderId && <span class="muted"> {t('order')} <code>{a.orderId}</code></span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {card.activities.pageInfo.hasNextPage && <p class="muted">{t('act.more', { n: ACTIVITIES })}</p>}
    </div>
  );
}

function Lookup({ onCard }) {
  const form = useForm({ number: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    await form.submit(async (v) => {
      try {
        const d = await gql(`query($n: String!) { giftCard(number: $n) { ${CARD} } }`, { n: digits(v.number) });
        if (!d.giftCard) return [{ field: ['input', 'number'], message: t('lookup.notFound'), code: 'NOT_FOUND' }];
        onCard(d.giftCard);
        return [];
      } catch (err) {
        // giftCard answers its refusals as top-level errors: show them on the number.
        if (err instanceof ApiError && err.code === 'INVALID') return [{ field: ['input', 'number'], message: t('lookup.invalid'), code: 'INVALID' }];
        if (err instanceof ApiError && err.code === 'NOT_FOUND') return [{ field: ['input', 'number'], message: t('lookup.notFound'), code: 'NOT_FOUND' }];
        if (err instanceof ApiError && err.code === 'RATE_LIMITED') return [{ field: ['input', 'number'], message: t('lookup.rate'), code: 'RATE_LIMITED' }];
        throw err;
      }
    });
  };
  return (
    <form class="card inline lookup" onSubmit={onSubmit} data-testid="giftcard-lookup-form" novalidate>
      <h2 class="full">{t('lookup.title')}</h2>
      <Field form={form} name="number" label={t('lookup.number')} hint={t('lookup.hint')} inputmode="numeric" autocomplete="off" maxlength="23" required />
      <FormErrors form={form} />
      <Submit form={form} data-testid="giftcard-lookup">{t('lookup.submit')}</Submit>
    </form>
  );
}

// changer runs one of the manager's changes on the card shown and
// replaces it with the payload's card.
function changer(card, onCard, mutation, inputType) {
  return async (input) => {
    const r = (await gql(`mutation($input: ${inputType}!) { r: ${mutation}(input: $input) { ${PAYLOAD} } }`, { input: { number: card.number, ...input } })).r;
    if (r.userErrors.length === 0 && r.giftCard) onCard(r.giftCard);
    return r.userErrors;
  };
}

function AdjustForm({ card, onCard, currency }) {
  const form = useForm({ amount: '', reason: '' });
  const run = changer(card, onCard, 'adjustGiftCard', 'AdjustGiftCardInput');
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit((v) => {
      const amount = minorUnits(v.amount, currency);
      if (amount === null) return [{ field: ['input', 'amount'], message: t('amount.bad'), code: 'INVALID' }];
      return run({ amount: { amount, currency }, reason: v.reason.trim() });
    });
    if (ok) form.setValues({ amount: '', reason: '', done: true });
  };
  return (
    <form onSubmit={onSubmit} data-testid="giftcard-adjust-form" novalidate>
      <h3>{t('adj.title')}</h3>
      <Field form={form} name="amount" label={t('adj.amount')} hint={t('adj.amount.hint')} inputmode="numeric" required />
      <Field form={form} name="reason" label={t('adj.reason')} maxlength="500" required />
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status">{t('adj.done')}</p>}
      <Submit form={form} data-testid="giftcard-adjust-submit">{t('adj.submit')}</Submit>
    </form>
  );
}

function DeactivateForm({ card, onCard }) {
  const form = useForm({ reason: '' });
  const [asking, setAsking] = useState(false);
  const run = changer(card, onCard, 'deactivateGiftCard', 'DeactivateGiftCardInput');
  const onSubmit = async (e) => {
    e.preventDefault();
    if (!asking) { setAsking(true); return; }
    setAsking(false);
    await form.submit((v) => run({ reason: v.reason.trim() }));
  };
  return (
    <form onSubmit={onSubmit} data-testid="giftcard-deactivate-form" novalidate>
      <h3>{t('deact.title')}</h3>
      <p class="muted">{t('deact.body')}</p>
      <Field form={form} name="reason" label={t('deact.reason')} maxlength="500" required />
      <FormErrors form={form} />
      {asking && <p class="banner warn" role="alert">{t('deact.q')}</p>}
      <div class="row">
        <button type="submit" class="danger" disabled={form.busy} data-testid={asking ? 'giftcard-deactivate-confirm' : 'giftcard-deactivate-submit'}>{asking ? t('deact.confirm') : t('deact.submit')}</button>
        {asking && <button type="button" onClick={() => setAsking(false)}>{t('action.cancel')}</button>}
      </div>
    </form>
  );
}

function CashOutForm({ card, onCard, currency }) {
  const form = useForm({ amount: '', legalException: '' });
  const run = changer(card, onCard, 'cashOutGiftCard', 'CashOutGiftCardInput');
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit((v) => {
      const amount = minorUnits(v.amount, currency);
      if (amount === null) return [{ field: ['input', 'amount'], message: t('amount.bad'), code: 'INVALID' }];
      return run({ amount: { amount, currency }, legalException: v.legalException.trim() });
    });
    if (ok) form.setValues({ amount: '', legalException: '', done: true });
  };
  return (
    <form onSubmit={onSubmit} data-testid="giftcard-cashout-form" novalidate>
      <h3>{t('cash.title')}</h3>
      <p class="muted">{t('cash.body')}</p>
      <Field form={form} name="amount" label={t('cash.amount')} inputmode="numeric" required />
      <Field form={form} name="legalException" label={t('cash.legalException')} hint={t('cash.legalException.hint')} maxlength="500" required />
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status">{t('cash.done')}</p>}
      <Submit form={form} data-testid="giftcard-cashout-submit">{t('cash.submit')}</Submit>
    </form>
  );
}

function Issue({ onCard }) {
  const form = useForm({ customerId: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    let made = null;
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: IssueGiftCardInput!) { issueGiftCard(input: $input) { ${PAYLOAD} } }`, { input: { customerId: v.customerId.trim() || null } })).issueGiftCard;
      made = r.giftCard;
      return r.userErrors;
    });
    if (ok && made) { form.setValues({ customerId: '', done: made.number }); onCard(made); }
  };
  return (
    <form class="card" onSubmit={onSubmit} data-testid="giftcard-issue-form" novalidate>
      <h2>{t('issue.title')}</h2>
      <p class="muted">{t('issue.body')}</p>
      <Field form={form} name="customerId" label={t('issue.customerId')} autocomplete="off" />
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status" data-testid="giftcard-issued">{t('issue.done', { number: groupNumber(form.values.done) })}</p>}
      <Submit form={form} data-testid="giftcard-issue-submit">{t('issue.submit')}</Submit>
    </form>
  );
}

function Liability({ tz }) {
  const form = useForm({ asOf: today(tz) });
  const [res, setRes] = useState(null);
  const onSubmit = async (e) => {
    e.preventDefault();
    await form.submit(async (v) => {
      try {
        const d = await gql(`query($d: String!) { giftCardLiability(asOf: $d) { asOf unusedBalance { amount currency } regulated thresholdExceeded depositRequired { amount currency } referenceDate previousReferenceDate nextReferenceDate } }`, { d: v.asOf });
        setRes(d.giftCardLiability);
        return [];
      } catch (ex) {
        if (ex instanceof ApiError && ex.code === 'INVALID') return [{ field: ['input', 'asOf'], message: t('liab.badDate'), code: 'INVALID' }];
        throw ex;
      }
    });
  };
  return (
    <div class="card" data-testid="giftcard-liability">
      <h2>{t('liab.title')}</h2>
      <form class="inline" onSubmit={onSubmit} novalidate>
        <Field form={form} name="asOf" type="date" label={t('liab.asOf')} required />
        <FormErrors form={form} />
        <Submit form={form} data-testid="giftcard-liability-submit">{t('liab.submit')}</Submit>
      </form>
      {res && (
        <div data-testid="giftcard-liability-result">
          <div class="kpis">
            <div class="kpi"><div class="label">{t('liab.unusedAt', { d: date(res.asOf) })}</div><div class="value" data-testid="giftcard-liability-unused">{money(res.unusedBalance)}</div></div>
          </div>
          <p>{res.regulated ? t('liab.regulated') : t('liab.notRegulated')}</p>
          <p class={res.thresholdExceeded ? 'banner warn' : 'ok'}>{res.thresholdExceeded ? t('liab.exceeded', { deposit: money(res.depositRequired) }) : t('liab.under')}</p>
          <p class="muted">{t('liab.ref')}: {res.referenceDate ? t('liab.isRef') : ''} {t('liab.prevRef', { d: date(res.previousReferenceDate) })} ・ {t('liab.nextRef', { d: date(res.nextReferenceDate) })}</p>
          <p class="muted">{t('liab.lag')}</p>
        </div>
      )}
    </div>
  );
}

export function GiftCards() {
  const s = useSignal(session);
  const tz = s?.tenant?.timezone;
  const currency = s?.tenant?.currency || 'JPY';
  const [card, setCard] = useState(null);
  // Names for the ledger's staff and locations (MANAGER and OWNER read both).
  const names = useQuery(`{ staff { id name } locations { id name } }`, {});
  const lookup = {
    staff: Object.fromEntries((names.data?.staff || []).map((u) => [u.id, u.name])),
    locations: Object.fromEntries((names.data?.locations || []).map((l) => [l.id, l.name])),
  };
  return (
    <Page title={t('title')}>
      <div class="admin">
      <Lookup onCard={setCard} />
      {card && (
        <>
          <CardView card={card} names={lookup} tz={tz} />
          {/* A PENDING card is loaded by a sale first; a deactivated one's balance may still be corrected or paid out. */}
          <div class="grid" data-testid="giftcard-actions">
            {card.state !== 'PENDING' && <div class="card"><AdjustForm key={card.number} card={card} onCard={setCard} currency={currency} /></div>}
            {card.state !== 'PENDING' && <div class="card"><CashOutForm key={card.number} card={card} onCard={setCard} currency={currency} /></div>}
            {card.state !== 'DEACTIVATED' && <div class="card"><DeactivateForm key={card.number} card={card} onCard={setCard} /></div>}
          </div>
        </>
      )}
      <div class="grid">
        <Issue onCard={setCard} />
        <Liability tz={tz} />
      </div>
      </div>
    </Page>
  );
}
