// Timecards (勤怠): the shifts of a week (or any range up to 31 days) per
// staff member with their totals and the Labour Standards Act flags, one
// shift's breaks and corrections, and a manager's correction of its times.
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { date, dateTime, lang, messages, today } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Badge, Empty, Field, FormErrors, Loaded, Page, Submit, useForm, useQuery } from '../ui.jsx';

const t = messages({
  ja: {
    title: '勤怠',
    'f.from': '開始日', 'f.to': '終了日', 'f.locationId': '店舗', 'f.staffId': 'スタッフ', all: 'すべて', show: '表示',
    prevWeek: '前の週', thisWeek: '今週', nextWeek: '次の週',
    'range.bad': '終了日は開始日以降にしてください', narrow: '一度に表示できる範囲を超えています（店舗20か所・シフト1000件まで）。店舗かスタッフを選ぶか、期間を短くしてください。', 'range.long': '期間は31日までです',
    'sum.title': 'スタッフ別の集計', 'shifts.title': 'シフト', 'none': 'この期間のシフトはありません。',
    'col.staff': 'スタッフ', 'col.days': '出勤日数', 'col.worked': '実働', 'col.break': '休憩', 'col.dailyOt': '時間外(日)', 'col.weeklyOt': '時間外(週)', 'col.night': '深夜', 'col.dailyOt.title': '1日8時間を超えた時間（労働基準法32条）', 'col.weeklyOt.title': '週40時間を超えた時間（日の時間外を除く）', 'col.night.title': '22時〜5時の勤務（労働基準法37条）', 'col.flags': '注意',
    'col.date': '日付', 'col.location': '店舗', 'col.register': 'レジ', 'col.start': '出勤', 'col.end': '退勤', 'col.actions': '',
    total: '合計', detail: '詳細', open: '勤務中', onBreak: '休憩中',
    weeklyNote: '週の時間外は月曜〜日曜の週全体で計算します（期間外のシフトも含みます）。',
    'flag.SHORT_BREAK': '休憩不足', 'flag.DAILY_OVERTIME': '日の時間外', 'flag.WEEKLY_OVERTIME': '週の時間外', 'flag.LATE_NIGHT': '深夜',
    'flag.SHORT_BREAK.title': '6時間超の勤務で45分未満、8時間超で60分未満の休憩（労働基準法34条）',
    'd.title': 'シフトの詳細', 'd.breaks': '休憩', 'd.noBreaks': '休憩の記録はありません。', 'd.edits': '修正履歴', 'd.noEdits': '修正はありません。',
    'd.editedBy': '修正者', 'd.editedAt': '修正日時', 'd.reason': '理由', 'd.before': '修正前', 'd.after': '修正後',
    'c.title': '時刻を修正', 'c.body': '出勤・退勤・休憩の時刻をすべて入力し、理由を記録します。修正前の時刻は履歴に残ります。勤務中のシフトを修正すると退勤扱いになります。',
    'c.startedAt': '出勤', 'c.endedAt': '退勤', 'c.break': '休憩{n}', 'c.breakStart': '開始', 'c.breakEnd': '終了', 'c.addBreak': '休憩を追加', 'c.removeBreak': '削除',
    'c.empty': '日時を入力してください', 'c.reason': '修正の理由', 'c.reason.hint': '例: 退勤の打刻忘れ', 'c.submit': '修正を保存', 'c.done': '修正しました。', 'c.zone': '時刻は店舗の時刻（UTC{offset}）です。',
  },
  en: {
    title: 'Timecards',
    'f.from': 'From', 'f.to': 'To', 'f.locationId': 'Location', 'f.staffId': 'Staff member', all: 'All', show: 'Show',
    prevWeek: 'Previous week', thisWeek: 'This week', nextWeek: 'Next week',
    'range.bad': 'The end must not be before the start', narrow: 'Too much to show at once (20 locations, 1000 shifts). Choose a location or a staff member, or a shorter range.', 'range.long': 'At most 31 days',
    'sum.title': 'Per staff member', 'shifts.title': 'Shifts', 'none': 'No shifts in this range.',
    'col.staff': 'Staff', 'col.days': 'Days', 'col.worked': 'Worked', 'col.break': 'Breaks', 'col.dailyOt': 'OT (day)', 'col.weeklyOt': 'OT (week)', 'col.night': 'Night', 'col.dailyOt.title': 'Over 8 hours a day (Labour Standards Act art. 32)', 'col.weeklyOt.title': 'Over 40 hours a week, not counting the daily overtime', 'col.night.title': 'Worked 22:00–05:00 (art. 37)', 'col.flags': 'Flags',
    'col.date': 'Date', 'col.location': 'Location', 'col.register': 'Register', 'col.start': 'In', 'col.end': 'Out', 'col.actions': '',
    total: 'Total', detail: 'Details', open: 'Working', onBreak: 'On break',
    weeklyNote: 'Weekly overtime counts whole weeks, Monday to Sunday (shifts outside the range too).',
    'flag.SHORT_BREAK': 'Short break', 'flag.DAILY_OVERTIME': 'Daily overtime', 'flag.WEEKLY_OVERTIME': 'Weekly overtime', 'flag.LATE_NIGHT': 'Late night',
    'flag.SHORT_BREAK.title': 'Under 45 minutes of break on over 6 hours, or under 60 on over 8 (Labour Standards Act art. 34)',
    'd.title': 'Shift details', 'd.breaks': 'Breaks', 'd.noBreaks': 'No breaks recorded.', 'd.edits': 'Corrections', 'd.noEdits': 'No corrections.',
    'd.editedBy': 'By', 'd.editedAt': 'When', 'd.reason': 'Reason', 'd.before': 'Before', 'd.after': 'After',
    'c.title': 'Correct the times', 'c.body': 'Enter every time (in, out, breaks) and the reason. The times before are kept. Correcting an open shift ends it.',
    'c.startedAt': 'In', 'c.endedAt': 'Out', 'c.break': 'Break {n}', 'c.breakStart': 'Start', 'c.breakEnd': 'End', 'c.addBreak': 'Add a break', 'c.removeBreak': 'Remove',
    'c.empty': 'Enter the date and time', 'c.reason': 'Reason', 'c.reason.hint': 'e.g. forgot to clock out', 'c.submit': 'Save correction', 'c.done': 'Corrected.', 'c.zone': 'Times are the location\'s (UTC{offset}).',
  },
});

const MAX_DAYS = 31;
const MAX_BREAKS = 5;
const FLAGS = ['SHORT_BREAK', 'DAILY_OVERTIME', 'WEEKLY_OVERTIME', 'LATE_NIGHT'];

// Dates are YYYY-MM-DD business dates; arithmetic on them is done in UTC.
const addDays = (d, n) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86400000).toISOString().slice(0, 10);
const daysBetween = (a, b) => Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86400000);
const monday = (d) => addDays(d, -((new Date(d + 'T00:00:00Z').getUTCDay() + 6) % 7));

// zoneOffset: "+09:00" for Asia/Tokyo on that date.
function zoneOffset(tz, d) {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz || 'Asia/Tokyo', timeZoneName: 'longOffset' })
      .formatToParts(new Date(d + 'T12:00:00Z')).find((p) => p.type === 'timeZoneName')?.value || '';
    const m = part.match(/([+-]\d{2}):?(\d{2})?/);
    return m ? `${m[1]}:${m[2] || '00'}` : '+00:00';
  } catch { return '+09:00'; }
}
const midnight = (d, tz) => `${d}T00:00:00${zoneOffset(tz, d)}`;

// Shift times come with the location's offset: their wall clock is the
// string's own, so no zone arithmetic is needed to show or edit them.
const offsetOf = (iso) => (iso.match(/([+-]\d{2}:\d{2})$/) || [null, '+00:00'])[1];
const wall = (iso) => (iso ? iso.slice(0, 16) : '');
export const hm = (min) => (min == null ? '—' : `${Math.floor(min / 60)}:${String(min % 60).padStart(2, '0')}`);
function clock(iso, day) {
  if (!iso) return '';
  const d = iso.slice(0, 10);
  return d === day ? iso.slice(11, 16) : `${d.slice(5).replace('-', '/')} ${iso.slice(11, 16)}`;
}

function Flags({ flags }) {
  return flags.map((f) => <Badge kind={f === 'LATE_NIGHT' ? 'info' : 'warn'} title={f === 'SHORT_BREAK' ? t('flag.SHORT_BREAK.title') : undefined} data-flag={f}>{t(`flag.${f}`)}</Badge>);
}

const TC = `query($from: Time!, $to: Time!, $loc: ID, $staff: ID) { timecards(from: $from, to: $to, locationId: $loc, staffId: $staff) {
  shifts { id staffId location { id } register { id number name } startedAt endedAt open onBreak businessDate workedMinutes breakMinutes lateNightMinutes flags }
  days { staffId date workedMinutes overtimeMinutes }
  weeks { staffId weekStart workedMinutes overtimeMinutes flags } } }`;

function Summary({ tc, range, staffName }) {
  const dates = [];
  const n = daysBetween(range.from, range.to) + 1;
  if (n <= 7) for (let i = 0; i < n; i++) dates.push(addDays(range.from, i));
  const rows = {};
  const row = (id) => (rows[id] ||= { id, days: {}, worked: 0, dailyOt: 0, weeklyOt: 0, breaks: 0, night: 0, flags: new Set() });
  for (const d of tc.days) { const r = row(d.staffId); r.days[d.date] = d.workedMinutes; r.worked += d.workedMinutes; r.dailyOt += d.overtimeMinutes; }
  for (const w of tc.weeks) { const r = row(w.staffId); r.weeklyOt += w.overtimeMinutes; w.flags.forEach((f) => r.flags.add(f)); }
  for (const s of tc.shifts) { const r = row(s.staffId); r.breaks += s.breakMinutes; r.night += s.lateNightMinutes; s.flags.forEach((f) => r.flags.add(f)); }
  const list = Object.values(rows).sort((a, b) => staffName(a.id).localeCompare(staffName(b.id)));
  const sum = (k) => list.reduce((x, r) => x + r[k], 0);
  const wd = (d) => new Intl.DateTimeFormat(lang.get() === 'en' ? 'en-US' : 'ja-JP', { month: 'numeric', day: 'numeric', weekday: 'short', timeZone: 'UTC' }).format(new Date(d + 'T00:00:00Z'));
  return (
    <div class="table-wrap">
      <table class="dense" data-testid="timecards-table">
        <thead><tr>
          <th>{t('col.staff')}</th>
          {dates.map((d) => <th class="num">{wd(d)}</th>)}
          <th class="num">{t('col.days')}</th><th class="num">{t('col.worked')}</th><th class="num">{t('col.break')}</th>
          <th class="num" title={t('col.dailyOt.title')}>{t('col.dailyOt')}</th><th class="num" title={t('col.weeklyOt.title')}>{t('col.weeklyOt')}</th><th class="num" title={t('col.night.title')}>{t('col.night')}</th><th>{t('col.flags')}</th>
        </tr></thead>
        <tbody>
          {list.map((r) => (
            <tr data-testid="timecards-row" data-staff-id={r.id}>
              <td class="nowrap">{staffName(r.id)}</td>
              {dates.map((d) => <td class="num">{r.days[d] != null ? hm(r.days[d]) : ''}</td>)}
              <td class="num">{Object.keys(r.days).length}</td>
              <td class="num" data-testid="timecards-worked">{hm(r.worked)}</td>
              <td class="num">{hm(r.breaks)}</td>
              <td class="num">{hm(r.dailyOt)}</td>
              <td class="num">{hm(r.weeklyOt)}</td>
              <td class="num">{hm(r.night)}</td>
              <td><Flags flags={FLAGS.filter((f) => r.flags.has(f))} /></td>
            </tr>
          ))}
        </tbody>
        {list.length > 1 && (
          <tfoot><tr class="total-row">
            <th scope="row">{t('total')}</th>
            {dates.map((d) => <td class="num">{hm(list.reduce((x, r) => x + (r.days[d] || 0), 0))}</td>)}
            <td class="num">{list.reduce((x, r) => x + Object.keys(r.days).length, 0)}</td>
            <td class="num">{hm(sum('worked'))}</td><td class="num">{hm(sum('breaks'))}</td><td class="num">{hm(sum('dailyOt'))}</td>
            <td class="num">{hm(sum('weeklyOt'))}</td><td class="num">{hm(sum('night'))}</td><td />
          </tr></tfoot>
        )}
      </table>
    </div>
  );
}

function Shifts({ shifts, staffName, locName, selected, onSelect }) {
  return (
    <div class="table-wrap">
      <table data-testid="shifts-table">
        <thead><tr><th>{t('col.date')}</th><th>{t('col.staff')}</th><th>{t('col.location')}</th><th>{t('col.register')}</th><th>{t('col.start')}</th><th>{t('col.end')}</th>
          <th class="num">{t('col.break')}</th><th class="num">{t('col.worked')}</th><th class="num" title={t('col.night.title')}>{t('col.night')}</th><th>{t('col.flags')}</th><th>{t('col.actions')}</th></tr></thead>
        <tbody>
          {shifts.map((s) => (
            <tr data-testid="shift-row" data-shift-id={s.id} aria-selected={selected === s.id ? 'true' : undefined}>
              <td class="nowrap">{date(s.businessDate)}</td>
              <td class="nowrap">{staffName(s.staffId)}</td>
              <td>{locName(s.location.id)}</td>
              <td>{s.register ? `${s.register.number}. ${s.register.name}` : '—'}</td>
              <td>{clock(s.startedAt, s.businessDate)}</td>
              <td>{s.open ? <Badge kind={s.onBreak ? 'warn' : 'ok'}>{s.onBreak ? t('onBreak') : t('open')}</Badge> : clock(s.endedAt, s.businessDate)}</td>
              <td class="num">{hm(s.breakMinutes)}</td>
              <td class="num">{hm(s.workedMinutes)}</td>
              <td class="num">{hm(s.lateNightMinutes)}</td>
              <td><Flags flags={s.flags} /></td>
              <td><button type="button" data-testid="shift-detail" onClick={() => onSelect(s.id)}>{t('detail')}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TIMES = 'startedAt endedAt breaks { startedAt endedAt }';
const SHIFT = `id staffId location { id name } register { number name } ${TIMES} open onBreak businessDate workedMinutes breakMinutes lateNightMinutes flags
  edits { editedBy editedAt reason before { ${TIMES} } after { ${TIMES} } }`;

function timesText(x) {
  const day = x.startedAt.slice(0, 10);
  const b = x.breaks.map((br) => `${clock(br.startedAt, day)}–${clock(br.endedAt, day)}`).join(', ');
  return `${clock(x.startedAt, day)}–${x.endedAt ? clock(x.endedAt, day) : '…'}${b ? ` (${t('d.breaks')} ${b})` : ''}`;
}

function ShiftDetail({ id, staffName, onChanged, onClose }) {
  const q = useQuery(`query($id: ID!) { shift(id: $id) { ${SHIFT} } }`, { id }, [id]);
  const tz = useSignal(session)?.tenant?.timezone;
  const ref = useRef(null);
  useEffect(() => { ref.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' }); }, [id]);
  return (
    <section class="card" data-testid="shift-panel" ref={ref}>
      <div class="row"><h2>{t('d.title')}</h2><span class="spacer" /><button type="button" onClick={onClose}>{t('action.close')}</button></div>
      <Loaded q={q}>{(d) => {
        const s = d.shift;
        if (!s) return <Empty>{t('error.NOT_FOUND')}</Empty>;
        return (
          <>
            <p><strong>{staffName(s.staffId)}</strong> ・ {s.location.name}{s.register ? ` ・ ${s.register.number}. ${s.register.name}` : ''} ・ {date(s.businessDate)}</p>
            <p>{timesText(s)} ・ {t('col.worked')} {hm(s.workedMinutes)} ・ {t('col.break')} {hm(s.breakMinutes)} <Flags flags={s.flags} /></p>
            <h3>{t('d.edits')}</h3>
            {s.edits.length === 0 ? <p class="muted">{t('d.noEdits')}</p> : (
              <div class="table-wrap">
                <table data-testid="shift-edits">
                  <thead><tr><th>{t('d.editedAt')}</th><th>{t('d.editedBy')}</th><th>{t('d.reason')}</th><th>{t('d.before')}</th><th>{t('d.after')}</th></tr></thead>
                  <tbody>{s.edits.map((e) => (
                    <tr><td>{dateTime(e.editedAt, tz)}</td><td>{staffName(e.editedBy)}</td><td class="wrap">{e.reason}</td><td>{timesText(e.before)}</td><td>{timesText(e.after)}</td></tr>
                  ))}</tbody>
                </table>
              </div>
            )}
            <CorrectForm key={`${s.id}-${s.edits.length}`} shift={s} onDone={() => { q.reload(); onChanged(); }} />
          </>
        );
      }}</Loaded>
    </section>
  );
}

function CorrectForm({ shift, onDone }) {
  const offset = offsetOf(shift.startedAt);
  const init = { startedAt: wall(shift.startedAt), endedAt: wall(shift.endedAt), reason: '', n: shift.breaks.length };
  shift.breaks.forEach((b, i) => { init[`breaks.${i}.startedAt`] = wall(b.startedAt); init[`breaks.${i}.endedAt`] = wall(b.endedAt); });
  const form = useForm(init);
  form.names.add('breaks');
  const n = form.values.n;
  const at = (v) => (v ? `${v.length === 16 ? v + ':00' : v}${offset}` : '');
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      // A time left empty is not sent (the API would refuse the whole request): say so at its input.
      const empty = ['startedAt', 'endedAt', ...Array.from({ length: v.n }, (_, i) => [`breaks.${i}.startedAt`, `breaks.${i}.endedAt`]).flat()]
        .filter((k) => !v[k]).map((k) => ({ field: ['input', ...k.split('.')], message: t('c.empty'), code: 'INVALID' }));
      if (empty.length) return empty;
      const breaks = [];
      for (let i = 0; i < v.n; i++) breaks.push({ startedAt: at(v[`breaks.${i}.startedAt`]), endedAt: at(v[`breaks.${i}.endedAt`]) });
      const r = (await gql(`mutation($input: CorrectShiftInput!) { correctShift(input: $input) { shift { id } userErrors { field message code } } }`,
        { input: { shiftId: shift.id, startedAt: at(v.startedAt), endedAt: at(v.endedAt), breaks, reason: v.reason.trim() } })).correctShift;
      return r.userErrors;
    });
    if (ok) onDone();
  };
  const remove = (i) => () => {
    const v = { ...form.values, n: n - 1 };
    for (let j = i; j < n - 1; j++) { v[`breaks.${j}.startedAt`] = v[`breaks.${j + 1}.startedAt`]; v[`breaks.${j}.endedAt`] = v[`breaks.${j + 1}.endedAt`]; }
    delete v[`breaks.${n - 1}.startedAt`]; delete v[`breaks.${n - 1}.endedAt`];
    form.setValues(v);
  };
  const add = () => form.setValues({ ...form.values, n: n + 1, [`breaks.${n}.startedAt`]: '', [`breaks.${n}.endedAt`]: '' });
  return (
    <form onSubmit={onSubmit} data-testid="shift-correct-form" novalidate>
      <h3>{t('c.title')}</h3>
      <p class="muted">{t('c.body')} {t('c.zone', { offset })}</p>
      <div class="form-row">
        <Field form={form} name="startedAt" type="datetime-local" label={t('c.startedAt')} required />
        <Field form={form} name="endedAt" type="datetime-local" label={t('c.endedAt')} required />
      </div>
      <fieldset class="breaks" data-testid="shift-breaks">
        <legend>{t('d.breaks')}</legend>
        {Array.from({ length: n }, (_, i) => (
          <div class="form-row break-row">
            <Field form={form} name={`breaks.${i}.startedAt`} type="datetime-local" label={`${t('c.break', { n: i + 1 })} ${t('c.breakStart')}`} />
            <Field form={form} name={`breaks.${i}.endedAt`} type="datetime-local" label={t('c.breakEnd')} />
            <button type="button" onClick={remove(i)}>{t('c.removeBreak')}</button>
          </div>
        ))}
        <div class="field-errors" role="alert" data-field-error="breaks">{(form.errors.breaks || []).map((m) => <span>{m}</span>)}</div>
        {n < MAX_BREAKS && <button type="button" data-testid="shift-add-break" onClick={add}>{t('c.addBreak')}</button>}
      </fieldset>
      <Field form={form} name="reason" label={t('c.reason')} hint={t('c.reason.hint')} maxlength="500" required />
      <FormErrors form={form} />
      <Submit form={form} data-testid="shift-correct-submit">{t('c.submit')}</Submit>
    </form>
  );
}

function Report({ range, staffName, locName, tz }) {
  const [selected, setSelected] = useState(null);
  const rtz = range.tz || tz;
  const vars = { from: midnight(range.from, rtz), to: midnight(addDays(range.to, 1), rtz), loc: range.locationId || null, staff: range.staffId || null };
  const q = useQuery(TC, vars, [JSON.stringify(vars)]);
  // Over 20 locations or 1000 shifts the API asks for a narrower read.
  if (q.error?.code === 'INVALID') return <p class="banner warn" role="alert" data-testid="timecards-narrow">{t('narrow')}</p>;
  return (
    <Loaded q={q}>{(d) => {
      const tc = d.timecards;
      if (tc.shifts.length === 0) return <Empty>{t('none')}</Empty>;
      return (
        <>
          <h2>{t('sum.title')}</h2>
          <Summary tc={tc} range={range} staffName={staffName} />
          <p class="muted">{t('weeklyNote')}</p>
          {selected && <ShiftDetail key={selected} id={selected} staffName={staffName} onChanged={q.reload} onClose={() => setSelected(null)} />}
          <h2>{t('shifts.title')}</h2>
          <Shifts shifts={tc.shifts} staffName={staffName} locName={locName} selected={selected} onSelect={setSelected} />
        </>
      );
    }}</Loaded>
  );
}

export function Timecards() {
  const tz = useSignal(session)?.tenant?.timezone;
  const start = monday(today(tz));
  const form = useForm({ from: start, to: addDays(start, 6), locationId: '', staffId: '' });
  const [range, setRange] = useState(form.values);
  const lists = useQuery(`{ staff { id name } locations { id name timezone } }`, {});
  const staff = lists.data?.staff || [];
  const locations = lists.data?.locations || [];
  const staffName = (id) => staff.find((u) => u.id === id)?.name || id;
  const locName = (id) => locations.find((l) => l.id === id)?.name || id;
  const rangeProblem = (v) => {
    if (!v.from || !v.to) return '';
    const n = daysBetween(v.from, v.to);
    if (n < 0) return t('range.bad');
    if (n + 1 > MAX_DAYS) return t('range.long');
    return '';
  };
  const apply = (v) => {
    form.setValues(v);
    if (!rangeProblem(v) && v.from && v.to) setRange({ ...v, tz: locations.find((l) => l.id === v.locationId)?.timezone });
  };
  const shiftWeek = (k) => () => apply({ ...form.values, from: addDays(monday(form.values.from || start), 7 * k), to: addDays(monday(form.values.from || start), 7 * k + 6) });
  return (
    <Page title={t('title')}>
      <div class="admin">
      <form class="card inline" data-testid="timecards-filter" novalidate onSubmit={(e) => { e.preventDefault(); apply(form.values); }}>
        <Field form={form} name="from" type="date" label={t('f.from')} required />
        <Field form={form} name="to" type="date" label={t('f.to')} validate={() => rangeProblem(form.values)} required />
        <Field form={form} name="locationId" type="select" label={t('f.locationId')} options={[{ value: '', label: t('all') }, ...locations.map((l) => ({ value: l.id, label: l.name }))]} />
        <Field form={form} name="staffId" type="select" label={t('f.staffId')} options={[{ value: '', label: t('all') }, ...staff.map((u) => ({ value: u.id, label: u.name }))]} />
        <div class="row full">
          <button type="submit" class="primary" data-testid="timecards-show">{t('show')}</button>
          <button type="button" onClick={shiftWeek(-1)} data-testid="timecards-prev">{t('prevWeek')}</button>
          <button type="button" onClick={() => apply({ ...form.values, from: start, to: addDays(start, 6) })}>{t('thisWeek')}</button>
          <button type="button" onClick={shiftWeek(1)} data-testid="timecards-next">{t('nextWeek')}</button>
        </div>
      </form>
      <Report range={range} staffName={staffName} locName={locName} tz={tz} />
      </div>
    </Page>
  );
}
