// Locations and their registers (店舗・レジ): every location with its
// registers (number, name, kind, active), and — for the OWNER — adding a
// location, adding a register and deactivating one.
import { gql, session } from '../api.js';
import { messages } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Badge, Empty, Field, FormErrors, Loaded, Page, Submit, useForm, useQuery } from '../ui.jsx';
import { ConfirmButton, isOwner, useLoad } from './admin.jsx';

const t = messages({
  ja: {
    title: '店舗・レジ', lead: 'レジは店舗ごとに 1, 2, 3… と番号が付き、レジごとに注文番号を採番します。番号99は EC 連携の注文用のレジです。',
    ownerOnly: '店舗・レジの追加と無効化はオーナーのみ行えます。',
    'col.location': '店舗', 'col.number': '番号', 'col.name': '名前', 'col.kind': '種類', 'col.state': '状態', 'col.actions': '操作',
    'kind.POS': 'レジ', 'kind.INTEGRATION': 'EC連携用',
    active: '稼働中', inactive: '無効',
    noRegisters: 'この店舗にはまだレジがありません。',
    noLocations: 'まだ店舗がありません。下のフォームから登録してください。',
    deactivate: '無効化', 'deactivate.q': 'レジ{n}「{name}」を無効化しますか？ 以後このレジでは販売できません（注文履歴は残ります。元に戻せません）。', 'deactivate.yes': '無効化する',
    'reg.title': 'レジを追加', 'reg.locationId': '店舗', 'reg.name': 'レジの名前', 'reg.hint': '例: レジ2、カウンター', 'reg.submit': 'レジを追加', 'reg.done': 'レジ{n}「{name}」を追加しました。',
    'loc.title': '店舗を追加', 'loc.name': '店舗名', 'loc.timezone': 'タイムゾーン', 'loc.tzHint': 'IANA 名（例: Asia/Tokyo）', 'loc.submit': '店舗を登録', 'loc.done': '「{name}」を登録しました（レジ1付き）。',
  },
  en: {
    title: 'Locations & registers', lead: 'Registers are numbered 1, 2, 3… within a location, and each numbers its own orders. Number 99 takes the orders that arrive through integrations (EC).',
    ownerOnly: 'Only the owner can add locations and registers or deactivate registers.',
    'col.location': 'Location', 'col.number': 'No.', 'col.name': 'Name', 'col.kind': 'Kind', 'col.state': 'State', 'col.actions': 'Actions',
    'kind.POS': 'Register', 'kind.INTEGRATION': 'Integrations (EC)',
    active: 'Active', inactive: 'Deactivated',
    noRegisters: 'This location has no registers yet.',
    noLocations: 'No locations yet. Add one with the form below.',
    deactivate: 'Deactivate', 'deactivate.q': 'Deactivate register {n} "{name}"? It will sell no more (its orders stay). This cannot be undone.', 'deactivate.yes': 'Deactivate',
    'reg.title': 'Add a register', 'reg.locationId': 'Location', 'reg.name': 'Register name', 'reg.hint': 'e.g. Register 2, Counter', 'reg.submit': 'Add register', 'reg.done': 'Added register {n} "{name}".',
    'loc.title': 'Add a location', 'loc.name': 'Location name', 'loc.timezone': 'Time zone', 'loc.tzHint': 'IANA name (e.g. Asia/Tokyo)', 'loc.submit': 'Add location', 'loc.done': 'Added "{name}" (with register 1).',
  },
});

const REGISTER_FIELDS = 'id number name kind active';

// loadRegisters reads the registers of many locations, a few dozen per
// request (Location.registers under locations is priced for 500 locations
// and refused; registers(locationId) is about 20 + 99 × the fields). It
// resolves to {locationId: [Register]}.
export async function loadRegisters(locationIds) {
  const out = {};
  for (let i = 0; i < locationIds.length; i += 40) {
    const chunk = locationIds.slice(i, i + 40);
    const vars = {};
    const decl = chunk.map((id, j) => { vars[`l${j}`] = id; return `$l${j}: ID!`; }).join(', ');
    const sel = chunk.map((_, j) => `r${j}: registers(locationId: $l${j}) { ${REGISTER_FIELDS} }`).join(' ');
    const data = await gql(`query(${decl}) { ${sel} }`, vars);
    chunk.forEach((id, j) => { out[id] = data[`r${j}`]; });
  }
  return out;
}

function LocationRows({ loc, registers, owner, reload }) {
  const deactivate = (r) => async () => (await gql(`mutation($input: DeactivateRegisterInput!) { deactivateRegister(input: $input) { register { id active } userErrors { field message code } } }`, { input: { id: r.id } })).deactivateRegister.userErrors;
  return (
    <tbody data-location-id={loc.id}>
      <tr class="group-row"><th colspan="5" scope="rowgroup">{loc.name} <span class="muted">{loc.timezone}</span></th></tr>
      {registers.length === 0 && <tr><td colspan="5" class="muted">{t('noRegisters')}</td></tr>}
      {registers.map((r) => (
        <tr data-testid="register-row" data-register-id={r.id} data-active={r.active ? 'true' : 'false'}>
          <td class="num">{r.number}</td>
          <td>{r.name}</td>
          <td><Badge kind={r.kind === 'POS' ? 'info' : 'neutral'}>{t(`kind.${r.kind}`)}</Badge></td>
          <td><Badge kind={r.active ? 'ok' : 'neutral'}>{r.active ? t('active') : t('inactive')}</Badge></td>
          <td>
            {owner && r.kind === 'POS' && r.active && (
              <ConfirmButton label={t('deactivate')} confirmLabel={t('deactivate.yes')} question={t('deactivate.q', { n: r.number, name: r.name })}
                testid="register-deactivate" run={deactivate(r)} onDone={reload} />
            )}
          </td>
        </tr>
      ))}
    </tbody>
  );
}

function CreateRegister({ locations, onDone }) {
  const form = useForm({ locationId: locations[0]?.id || '', name: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    let made = null;
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: CreateRegisterInput!) { createRegister(input: $input) { register { ${REGISTER_FIELDS} } userErrors { field message code } } }`,
        { input: { locationId: v.locationId, name: v.name.trim() } })).createRegister;
      made = r.register;
      return r.userErrors;
    });
    if (ok) { form.setValues({ locationId: form.values.locationId, name: '', done: t('reg.done', { n: made.number, name: made.name }) }); onDone(); }
  };
  return (
    <form class="card" onSubmit={onSubmit} data-testid="register-create-form" novalidate>
      <h2>{t('reg.title')}</h2>
      <div class="form-row">
        <Field form={form} name="locationId" type="select" label={t('reg.locationId')} options={locations.map((l) => ({ value: l.id, label: l.name }))} />
        <Field form={form} name="name" label={t('reg.name')} hint={t('reg.hint')} maxlength="200" required />
      </div>
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status">{form.values.done}</p>}
      <Submit form={form} data-testid="register-create-submit">{t('reg.submit')}</Submit>
    </form>
  );
}

function CreateLocation({ timezone, onDone }) {
  const form = useForm({ name: '', timezone: timezone || 'Asia/Tokyo' });
  const onSubmit = async (e) => {
    e.preventDefault();
    let made = null;
    const ok = await form.submit(async (v) => {
      const r = (await gql(`mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id name } userErrors { field message code } } }`,
        { input: { name: v.name.trim(), timezone: v.timezone.trim() } })).createLocation;
      made = r.location;
      return r.userErrors;
    });
    if (ok) { form.setValues({ name: '', timezone: form.values.timezone, done: t('loc.done', { name: made.name }) }); onDone(); }
  };
  return (
    <form class="card" onSubmit={onSubmit} data-testid="location-create-form" novalidate>
      <h2>{t('loc.title')}</h2>
      <div class="form-row">
        <Field form={form} name="name" label={t('loc.name')} maxlength="200" required />
        <Field form={form} name="timezone" label={t('loc.timezone')} hint={t('loc.tzHint')} maxlength="64" />
      </div>
      <FormErrors form={form} />
      {form.values.done && !form.busy && !form.formError && <p class="ok" role="status">{form.values.done}</p>}
      <Submit form={form} data-testid="location-create-submit">{t('loc.submit')}</Submit>
    </form>
  );
}

export function Registers() {
  const s = useSignal(session);
  const owner = isOwner(s);
  const q = useQuery(`query { locations { id name timezone } }`, {});
  return (
    <Page title={t('title')}>
      <div class="admin">
      <p class="muted">{t('lead')}</p>
      {!owner && <p class="banner info" data-testid="owner-only">{t('ownerOnly')}</p>}
      <Loaded q={q}>{(d) => <Locations locations={d.locations} owner={owner} reloadLocations={q.reload} timezone={s?.tenant?.timezone} />}</Loaded>
      </div>
    </Page>
  );
}

function Locations({ locations, owner, reloadLocations, timezone }) {
  const ids = locations.map((l) => l.id);
  const regs = useLoad(() => loadRegisters(ids), [ids.join(',')]);
  return (
    <>
      {locations.length === 0 ? <Empty>{t('noLocations')}</Empty> : (
        <Loaded q={regs}>{(byLoc) => (
          <div class="table-wrap">
            <table data-testid="registers-table">
              <thead><tr><th class="num">{t('col.number')}</th><th>{t('col.name')}</th><th>{t('col.kind')}</th><th>{t('col.state')}</th><th>{t('col.actions')}</th></tr></thead>
              {locations.map((l) => <LocationRows loc={l} registers={byLoc[l.id] || []} owner={owner} reload={regs.reload} />)}
            </table>
          </div>
        )}</Loaded>
      )}
      {owner && locations.length > 0 && <CreateRegister locations={locations} onDone={regs.reload} />}
      {owner && <CreateLocation timezone={timezone} onDone={reloadLocations} />}
    </>
  );
}
