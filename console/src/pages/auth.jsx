// Log in, sign up, and the page a CASHIER sees.
import { logIn, signUp, logOut, session } from '../api.js';
import { messages, lang, setLang } from '../i18n.js';
import { navigate } from '../router.js';
import { Field, FormErrors, Link, Submit, useForm } from '../ui.jsx';
import { useSignal } from '../signal.js';

const t = messages({
  ja: {
    'login.title': 'ログイン', 'login.submit': 'ログイン', 'login.noAccount': 'アカウントをお持ちでない方', 'login.toSignup': '新規登録',
    'signup.title': '新規登録（無料）', 'signup.lead': '事業者を登録すると、POSアプリ・会計（freee）・EC（Shopify）をつなぐ準備が始まります。',
    'signup.submit': '登録して始める', 'signup.haveAccount': 'すでにアカウントをお持ちの方', 'signup.toLogin': 'ログイン',
    'f.businessName': '事業者名（店舗・会社名）', 'f.ownerName': 'お名前', 'f.email': 'メールアドレス', 'f.password': 'パスワード',
    'f.password.hint': '10文字以上', 'f.password.short': '10文字以上にしてください', 'f.timezone': 'タイムゾーン',
    'retry': '{s}秒後にもう一度お試しください。',
    'cashier.title': 'この管理画面はオーナー・店長向けです',
    'cashier.body': '{name} さん（レジ担当）のアカウントではご利用いただけません。販売はPOSアプリで行ってください。管理画面が必要な場合は、オーナーまたは店長に権限の変更を依頼してください。',
  },
  en: {
    'login.title': 'Log in', 'login.submit': 'Log in', 'login.noAccount': 'No account yet?', 'login.toSignup': 'Sign up',
    'signup.title': 'Sign up (free)', 'signup.lead': 'Register your business to connect your POS apps, accounting (freee) and online shop (Shopify).',
    'signup.submit': 'Sign up and start', 'signup.haveAccount': 'Already have an account?', 'signup.toLogin': 'Log in',
    'f.businessName': 'Business name', 'f.ownerName': 'Your name', 'f.email': 'Email', 'f.password': 'Password',
    'f.password.hint': 'At least 10 characters', 'f.password.short': 'Use at least 10 characters', 'f.timezone': 'Time zone',
    'retry': 'Please try again in {s} seconds.',
    'cashier.title': 'The console is for owners and managers',
    'cashier.body': '{name}, your cashier account cannot use the console. Sell with the POS app; ask an owner or manager if you need the console.',
  },
});

function LangToggle() {
  useSignal(lang);
  return <button type="button" class="link lang" data-testid="lang" onClick={() => setLang(lang.get() === 'ja' ? 'en' : 'ja')}>{lang.get() === 'ja' ? 'English' : '日本語'}</button>;
}

export function LogIn({ next = '/' }) {
  const form = useForm({ email: '', password: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      const p = await logIn({ email: v.email.trim(), password: v.password });
      if (p.retryAfterSeconds) form.setFormError(t('retry', { s: p.retryAfterSeconds }));
      return p.userErrors;
    });
    if (ok) navigate(next, { replace: true });
  };
  return (
    <div class="auth-page">
      <LangToggle />
      <form class="card auth" onSubmit={onSubmit} data-testid="login-form" novalidate>
        <h1>{t('app.name')} — {t('login.title')}</h1>
        <Field form={form} name="email" type="email" label={t('f.email')} autocomplete="username" required />
        <Field form={form} name="password" type="password" label={t('f.password')} autocomplete="current-password" required />
        <FormErrors form={form} />
        <Submit form={form} data-testid="login-submit">{t('login.submit')}</Submit>
        <p class="muted">{t('login.noAccount')} <Link href="/signup">{t('login.toSignup')}</Link></p>
      </form>
    </div>
  );
}

export function SignUp() {
  const form = useForm({ businessName: '', ownerName: '', email: '', password: '' });
  const onSubmit = async (e) => {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      const p = await signUp({ businessName: v.businessName.trim(), ownerName: v.ownerName.trim(), email: v.email.trim(), password: v.password, currency: 'JPY', timezone: 'Asia/Tokyo' });
      return p.userErrors;
    });
    if (ok) navigate('/onboarding', { replace: true });
  };
  const pw = (v) => (v && v.length < 10 ? t('f.password.short') : '');
  return (
    <div class="auth-page">
      <LangToggle />
      <form class="card auth" onSubmit={onSubmit} data-testid="signup-form" novalidate>
        <h1>{t('signup.title')}</h1>
        <p class="muted">{t('signup.lead')}</p>
        <Field form={form} name="businessName" label={t('f.businessName')} autocomplete="organization" required />
        <Field form={form} name="ownerName" label={t('f.ownerName')} autocomplete="name" required />
        <Field form={form} name="email" type="email" label={t('f.email')} autocomplete="username" required />
        <Field form={form} name="password" type="password" label={t('f.password')} hint={t('f.password.hint')} validate={pw} autocomplete="new-password" required />
        <FormErrors form={form} />
        <Submit form={form} data-testid="signup-submit">{t('signup.submit')}</Submit>
        <p class="muted">{t('signup.haveAccount')} <Link href="/login">{t('signup.toLogin')}</Link></p>
      </form>
    </div>
  );
}

export function ManagersOnly() {
  const s = useSignal(session);
  return (
    <div class="auth-page">
      <LangToggle />
      <div class="card auth" data-testid="managers-only" role="alert">
        <h1>{t('cashier.title')}</h1>
        <p>{t('cashier.body', { name: s?.user?.name || '' })}</p>
        <button type="button" class="primary" data-testid="logout" onClick={async () => { await logOut(); navigate('/login'); }}>{t('nav.logout')}</button>
      </div>
    </div>
  );
}
