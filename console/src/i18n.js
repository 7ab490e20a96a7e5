// Japanese first, English available. Each page module declares its own
// messages with messages({ja:{…}, en:{…}}); the language is chosen once
// (saved in localStorage, else the browser's, else Japanese) and switching
// re-renders the app. Money and dates use Intl with the tenant's currency
// and time zone.
import { signal } from './signal.js';
import { session } from './api.js';

export const LANGS = ['ja', 'en'];
const saved = (() => { try { return localStorage.getItem('renkei.lang'); } catch { return null; } })();
export const lang = signal(LANGS.includes(saved) ? saved : (navigator.language || 'ja').toLowerCase().startsWith('en') ? 'en' : 'ja');

export function setLang(l) {
  if (!LANGS.includes(l)) return;
  try { localStorage.setItem('renkei.lang', l); } catch { /* private mode */ }
  document.documentElement.lang = l;
  lang.set(l);
}
document.documentElement.lang = lang.get();

// messages returns t(key, vars): the current language's text for key, with
// {name} placeholders filled; a key missing in English falls back to
// Japanese, a key missing everywhere shows itself (and is easy to spot).
export function messages(dict) {
  return (key, vars) => {
    const l = lang.get();
    let s = dict[l]?.[key] ?? common[l]?.[key] ?? dict.ja?.[key] ?? common.ja[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
    return s;
  };
}

const common = {
  ja: {
    'app.name': 'renkei 連携',
    'nav.dashboard': 'ダッシュボード', 'nav.closes': 'レジ締め', 'nav.integrations': '連携',
    'nav.staff': 'スタッフ', 'nav.registers': '店舗・レジ', 'nav.apiKeys': 'APIキー',
    'nav.giftCards': 'ギフトカード', 'nav.timecards': '勤怠', 'nav.settings': '事業者設定',
    'nav.onboarding': 'はじめに', 'nav.logout': 'ログアウト', 'nav.menu': 'メニュー',
    'lang.switch': 'English',
    'action.save': '保存', 'action.cancel': 'キャンセル', 'action.create': '作成', 'action.retry': '再試行',
    'action.close': '閉じる', 'action.copy': 'コピー', 'action.copied': 'コピーしました', 'action.reload': '再読み込み',
    'state.loading': '読み込み中…', 'state.saving': '保存中…', 'state.empty': 'まだありません。', 'state.saved': '保存しました。',
    'error.generic': 'エラーが発生しました。もう一度お試しください。',
    'error.network': 'サーバーに接続できません。通信状況を確認してください。',
    'error.form': '入力内容を確認してください。',
    'error.UNAUTHENTICATED': 'セッションの有効期限が切れました。もう一度ログインしてください。',
    'error.FORBIDDEN': 'この操作の権限がありません。',
    'error.NOT_FOUND': '見つかりません。',
    'error.RATE_LIMITED': 'リクエストが多すぎます。少し待ってからお試しください。',
    'error.UNAVAILABLE': '一時的に利用できません。少し待ってからお試しください。',
    'error.TOO_COMPLEX': 'リクエストが大きすぎます。',
    'secret.once': 'この値は今回だけ表示されます。安全な場所に保管してください。再表示はできません。',
    'yes': 'はい', 'no': 'いいえ',
  },
  en: {
    'app.name': 'renkei',
    'nav.dashboard': 'Dashboard', 'nav.closes': 'Closes', 'nav.integrations': 'Integrations',
    'nav.staff': 'Staff', 'nav.registers': 'Locations & registers', 'nav.apiKeys': 'API keys',
    'nav.giftCards': 'Gift cards', 'nav.timecards': 'Timecards', 'nav.settings': 'Business settings',
    'nav.onboarding': 'Get started', 'nav.logout': 'Log out', 'nav.menu': 'Menu',
    'lang.switch': '日本語',
    'action.save': 'Save', 'action.cancel': 'Cancel', 'action.create': 'Create', 'action.retry': 'Retry',
    'action.close': 'Close', 'action.copy': 'Copy', 'action.copied': 'Copied', 'action.reload': 'Reload',
    'state.loading': 'Loading…', 'state.saving': 'Saving…', 'state.empty': 'Nothing yet.', 'state.saved': 'Saved.',
    'error.generic': 'Something went wrong. Please try again.',
    'error.network': 'Cannot reach the server. Check the connection.',
    'error.form': 'Please check the highlighted fields.',
    'error.UNAUTHENTICATED': 'Your session has ended. Please log in again.',
    'error.FORBIDDEN': 'You do not have permission for this.',
    'error.NOT_FOUND': 'Not found.',
    'error.RATE_LIMITED': 'Too many requests. Please wait a moment and try again.',
    'error.UNAVAILABLE': 'Temporarily unavailable. Please try again shortly.',
    'error.TOO_COMPLEX': 'The request is too large.',
    'secret.once': 'This value is shown only this once. Store it somewhere safe; it cannot be shown again.',
    'yes': 'Yes', 'no': 'No',
  },
};

export const t = messages({});

const locale = () => (lang.get() === 'en' ? 'en-US' : 'ja-JP');

// yen formats a Money ({amount, currency}) or a number of the currency's
// minor units (JPY has none): ¥1,080.
export function money(m, currency = 'JPY') {
  if (m == null) return '—';
  const amount = typeof m === 'object' ? Number(m.amount) : Number(m);
  const cur = (typeof m === 'object' && m.currency) || currency;
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits;
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: cur }).format(amount / 10 ** digits);
}

export function number(n) {
  return n == null ? '—' : new Intl.NumberFormat(locale()).format(n);
}

// tenantZone is the signed-in tenant's time zone (the browser's before sign-in).
const tenantZone = () => session.get()?.tenant?.timezone || undefined;

// dateTime shows an RFC 3339 time in timeZone, by default the tenant's
// (not the browser's): 2026/11/30 14:05.
export function dateTime(iso, timeZone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone || tenantZone() }).format(new Date(iso));
}

export function date(iso, timeZone) {
  if (!iso) return '—';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(iso + 'T00:00:00Z') : new Date(iso);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: /^\d{4}-\d{2}-\d{2}$/.test(iso) ? 'UTC' : timeZone || tenantZone() }).format(d);
}

// ago: "3分前" / "3 min ago".
export function ago(iso) {
  if (!iso) return '—';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  if (Math.abs(s) < 60) return rtf.format(-s, 'second');
  if (Math.abs(s) < 3600) return rtf.format(-Math.round(s / 60), 'minute');
  if (Math.abs(s) < 86400) return rtf.format(-Math.round(s / 3600), 'hour');
  return rtf.format(-Math.round(s / 86400), 'day');
}

// today is the business date (YYYY-MM-DD) now in timeZone.
export function today(timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || tenantZone(), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
