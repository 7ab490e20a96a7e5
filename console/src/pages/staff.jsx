// Staff (スタッフ): the tenant's staff with their role, locations and state;
// adding a staff member (OWNER), deactivating one (OWNER, MANAGER), and the
// passcode a staff member clocks in with on a shared register.
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, session } from '../api.js';
import { dateTime, messages } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Badge, Empty, Field, FormErrors, Loaded, Page, Submit, useForm, useQuery } from '../ui.jsx';
import { ConfirmButton, isOwner } from './admin.jsx';

const t = messages({
  ja: {
    title: 'スタッフ', lead: 'ログインできるスタッフと、その役割・勤務店舗です。',
    'role.OWNER': 'オーナー', 'role.MANAGER': '店長', 'role.CASHIER': 'レジ担当',
    'col.name': '名前', 'col.email': 'メールアドレス', 'col.role': '役割', 'col.locations': '店舗', 'col.state': '状態', 'col.actions': '操作',
    allLocations: 'すべての店舗', active: '有効', deactivated: '無効', you: 'あなた',
    deactivate: '無効化', 'deactivate.q': '{name} さんを無効化しますか？ ログインできなくなり、ログイン中のセッションも終了します（元に戻せません）。', 'deactivate.yes': '無効化する',
    passcode: '打刻パスコード',
    'pc.title': '{name} さんの打刻パスコード', 'pc.body': '共用レジで出勤・退勤を打刻するときの 4〜8 桁の数字です。設定すると以前のパスコードは使えなくなります。',
    'pc.passcode': 'パスコード（4〜8桁の数字）', 'pc.bad': '4〜8桁の数字にしてください', 'pc.submit': 'パスコードを設定', 'pc.done': '{name} さんのパスコードを設定しました。',
    'new.title': 'スタッフを追加', 'new.ownerOnly': 'スタッフの追加はオーナーのみ行えます。店長はスタッフの無効化と打刻パスコードの設定ができます。',
    'f.email': 'メールアドレス（ログインID）', 'f.name': '名前', 'f.role': '役割', 'f.password': '初期パスワード', 'f.password.hint': '10文字以上。本人に安全な方法で伝え、変更してもらってください。',
    'f.locationIds': '勤務店舗', 'f.locationIds.hint': '選ばなければすべての店舗で働けます。選ぶとその店舗だけで販売・閲覧できます。',
    'role.hint.CASHIER': 'POSアプリで販売と打刻ができます（管理画面は使えません）。',
    'role.hint.MANAGER': '返金・在庫・レジ締め・売上・勤怠の修正ができます。',
    'role.hint.OWNER': 'スタッフ・APIキー・店舗・連携・事業者設定を含むすべてを管理できます。',
    'new.submit': 'スタッフを追加', 'new.done': '{name} さんを追加しました。',
  },
  en: {
    title: 'Staff', lead: 'The people who can log in, with their role and locations.',
    'role.OWNER': 'Owner', 'role.MANAGER': 'Manager', 'role.CASHIER': 'Cashier',
    'col.name': 'Name', 'col.email': 'Email', 'col.role': 'Role', 'col.locations': 'Locations', 'col.state': 'State', 'col.actions': 'Actions',
    allLocations: 'All locations', active: 'Active', deactivated: 'Deactivated', you: 'You',
    deactivate: 'Deactivate', 'deactivate.q': 'Deactivate {name}? They can no longer log in and their sessions end. This cannot be undone.', 'deactivate.yes': 'Deactivate',
    passcode: 'Clock passcode',
    'pc.title': 'Clock passcode for {name}', 'pc.body': 'The 4–8 digits they clock in and out with on a shared register. Setting it replaces the previous one.',
    'pc.passcode': 'Passcode (4–8 digits)', 'pc.bad': 'Use 4 to 8 digits', 'pc.submit': 'Set passcode', 'pc.done': 'Passcode set for {name}.',
    'new.title': 'Add a staff member', 'new.ownerOnly': 'Only the owner can add staff. Managers can deactivate staff and set clock passcodes.',
    'f.email': 'Email (log-in)', 'f.name': 'Name', 'f.role': 'Role', 'f.password': 'First password', 'f.password.hint': 'At least 10 characters. Pass it on safely and have them change it.',
    'f.locationIds': 'Locations', 'f.locationIds.hint': 'None chosen: every location. Chosen: they sell and see only there.',
    'role.hint.CASHIER': 'Sells and clocks in with the POS app (no console).',
    'role.hint.MANAGER': 'Refunds, stock, closes, reports and timecard corrections.',
    'role.hint.OWNER': 'Everything, including staff, API keys, locations, integrations and settings.',
    'new.submit': 'Add staff member', 'new.done': 'Added {name}.',
  },
});

const USER_FIELDS = 'id email name role locationIds deactivatedAt';
const Q = `{ staff { ${USER_FIELDS} } locations { id name } }`;

function StaffTable({ staff, locations, me, owner, onPasscode, reload }) {
  const locName = Object.fromEntries(locations.map((l) => [l.id, l.name]));
  const tz = useSignal(session)?.tenant?.timezone;
  const deactivate = (u) => async () => (await gql(`mutation($input: DeactivateStaffInput!) { deactivateStaff(input: $input) { user { id deactivatedAt } userErrors { field message code } } }`, { input: { id: u.id } })).deactivateStaff.userErrors;
  if (staff.length === 0) return <Empty />;
  return (
    <div class="table-wrap">
      <table data-testid="staff-table">
        <thead><tr><th>{t('col.name')}</th><th>{t('col.email')}</th><th>{t('col.role')}</th><th>{t('col.locations')}</th><th>{t('col.state')}</th><th>{t('col.actions')}</th></tr></thead>
        <tbody>
          {staff.map((u) => {
            const self = u.id === me?.id;
            // A MANAGER may not deactivate an OWNER; nobody deactivates themselves.
            const canDeactivate = !u.deactivatedAt && !self && (owner || u.role !== 'OWNER');
            return (
              <tr data-testid="staff-row" data-staff-id={u.id} data-email={u.email}>
                <td class="nowrap">{u.name} {self && <Badge kind="info">{t('you')}</Badge>}</td>
                <td class="wrap">{u.email}</td>
                <td><Badge kind={u.role === 'CASHIER' ? 'neutral' : 'info'}>{t(`role.${u.role}`)}</Badge></td>
                <td>{u.locationIds.length === 0 ? <span class="muted">{t('allLocations')}</span> : u.locationIds.map((id) => locName[id] || id).join('、')}</td>
                <td>{u.deactivatedAt ? <><Badge kind="neutral">{t('deactivated')}</Badge><br /><small class="muted">{dateTime(u.deactivatedAt, tz)}</small></> : <Badge kind="ok">{t('active')}</Badge>}</td>
                <td>
                  <div class="row">
                    {!u.deactivatedAt && (owner || u.role !== 'OWNER') && <button type="button" data-testid="staff-passcode" onClick={() => onPasscode(u)}>{t('passcode')}</button>}
                    {canDeactivate && <ConfirmButton label={t('deactivate')} confirmLabel={t('deactivate.yes')} question={t('deactivate.q', { name: u.name })} testid="staff-deactivate" run={deactivate(u)} onDone={reload} />}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PasscodeForm({ user, onClose }) {
  const form = useForm({ passcode: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => (await gql(`mutation($input: SetStaffPasscodeInput!) { setStaffPasscode(input: $input) { staffId userErrors { field message code } } }`,
      { input: { staffId: user.id, passcode: v.passcode.trim() } })).setStaffPasscode.userErrors);
    // The passcode is not kept once set.
    if (ok) form.setValues({ passcode: '', done: true });
  };
  const validate = (v) => (v && !/^\d{4,8}$/.test(v.trim()) ? t('pc.bad') : '');
  const ref = useRef(null);
  useEffect(() => { ref.current?.scrollIntoView?.({ block: 'center', behavior: 'smooth' }); ref.current?.querySelector('input')?.focus(); }, [user.id]);
  return (
    <form class="card" onSubmit={onSubmit} data-testid="passcode-form" novalidate ref={ref}>
      <h2>{t('pc.title', { name: user.name })}</h2>
      <p class="muted">{t('pc.body')}</p>
      <Field form={form} name="passcode" type="password" label={t('pc.passcode')} validate={validate} inputmode="numeric" autocomplete="off" maxlength="8" required />
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status" data-testid="passcode-done">{t('pc.done', { name: user.name })}</p>}
      <div class="row">
        <Submit form={form} data-testid="passcode-submit">{t('pc.submit')}</Submit>
        <button type="button" onClick={onClose}>{t('action.close')}</button>
      </div>
    </form>
  );
}

function CreateStaff({ locations, onDone }) {
  const form = useForm({ email: '', name: '', role: 'CASHIER', password: '', locationIds: [] });
  form.names.add('locationIds');
  const onSubmit = async (e) => {
    e.preventDefault();
    let made = null;
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: CreateStaffInput!) { createStaff(input: $input) { user { ${USER_FIELDS} } userErrors { field message code } } }`,
        { input: { email: v.email.trim(), name: v.name.trim(), role: v.role, password: v.password, locationIds: v.locationIds } })).createStaff;
      made = r.user;
      return r.userErrors;
    });
    // The password is dropped from the form once the account exists.
    if (ok) { form.setValues({ email: '', name: '', role: form.values.role, password: '', locationIds: [], done: t('new.done', { name: made.name }) }); onDone(); }
  };
  const toggle = (id) => (e) => {
    const on = e.currentTarget.checked;
    form.set('locationIds', on ? [...form.values.locationIds, id] : form.values.locationIds.filter((x) => x !== id));
  };
  const locErrors = Object.entries(form.errors).filter(([k]) => k === 'locationIds' || k.startsWith('locationIds.')).flatMap(([, m]) => m);
  for (let i = 0; i < form.values.locationIds.length; i++) form.names.add(`locationIds.${i}`);
  return (
    <form class="card" onSubmit={onSubmit} data-testid="staff-create-form" novalidate>
      <h2>{t('new.title')}</h2>
      <div class="form-row">
        <Field form={form} name="name" label={t('f.name')} autocomplete="off" maxlength="200" required />
        <Field form={form} name="email" type="email" label={t('f.email')} autocomplete="off" required />
      </div>
      <div class="form-row">
        <Field form={form} name="role" type="select" label={t('f.role')} hint={t(`role.hint.${form.values.role}`)}
          options={['CASHIER', 'MANAGER', 'OWNER'].map((r) => ({ value: r, label: t(`role.${r}`) }))} />
        <Field form={form} name="password" type="password" label={t('f.password')} hint={t('f.password.hint')} autocomplete="new-password" required />
      </div>
      {locations.length > 0 && (
        <fieldset class={`checks${locErrors.length ? ' invalid' : ''}`} data-testid="staff-locations">
          <legend>{t('f.locationIds')}</legend>
          {locations.map((l) => (
            <label class="check-item"><input type="checkbox" name="locationIds" value={l.id} checked={form.values.locationIds.includes(l.id)} onChange={toggle(l.id)} /> {l.name}</label>
          ))}
          {locErrors.length === 0 && <small class="hint">{t('f.locationIds.hint')}</small>}
          <div class="field-errors" role="alert" data-field-error="locationIds">{locErrors.map((m) => <span>{m}</span>)}</div>
        </fieldset>
      )}
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status">{form.values.done}</p>}
      <Submit form={form} data-testid="staff-create-submit">{t('new.submit')}</Submit>
    </form>
  );
}

export function Staff() {
  const s = useSignal(session);
  const owner = isOwner(s);
  const q = useQuery(Q, {});
  const [pc, setPc] = useState(null);
  return (
    <Page title={t('title')}>
      <div class="admin">
      <p class="muted">{t('lead')}</p>
      <Loaded q={q}>{(d) => (
        <>
          <StaffTable staff={d.staff} locations={d.locations} me={s?.user} owner={owner} onPasscode={setPc} reload={q.reload} />
          {pc && <PasscodeForm key={pc.id} user={pc} onClose={() => setPc(null)} />}
          {owner ? <CreateStaff locations={d.locations} onDone={q.reload} /> : <p class="banner info" data-testid="owner-only">{t('new.ownerOnly')}</p>}
        </>
      )}</Loaded>
      </div>
    </Page>
  );
}
