// The console's entry: restores the session from the refresh cookie, then
// routes. Signed-out visitors see log-in and sign-up; a CASHIER sees that the
// console is for managers; OWNER and MANAGER users get the pages.
import { render } from 'preact';
import { useSignal } from './signal.js';
import { session, booted, boot, isManager, logOut } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { useRoute, match, navigate } from './router.js';
import { Link } from './ui.jsx';
import { LogIn, SignUp, ManagersOnly } from './pages/auth.jsx';
import { lazyPage } from './lazy.jsx';
import './styles.css';

// The signed-in pages are loaded when first shown (esbuild splits them, and
// Chart.js with the dashboard, into hashed chunks): the log-in page, the
// first thing most visits show, loads only what it needs.
const Onboarding = lazyPage(() => import('./pages/onboarding.jsx'), 'Onboarding');
const Settings = lazyPage(() => import('./pages/settings.jsx'), 'Settings');
const Dashboard = lazyPage(() => import('./pages/dashboard.jsx'), 'Dashboard');
const Closes = lazyPage(() => import('./pages/closes.jsx'), 'Closes');
const Integrations = lazyPage(() => import('./pages/integrations.jsx'), 'Integrations');
const IntegrationDetail = lazyPage(() => import('./pages/integrations.jsx'), 'IntegrationDetail');
const FreeeCallback = lazyPage(() => import('./pages/freee.jsx'), 'FreeeCallback');
const Staff = lazyPage(() => import('./pages/staff.jsx'), 'Staff');
const Registers = lazyPage(() => import('./pages/registers.jsx'), 'Registers');
const ApiKeys = lazyPage(() => import('./pages/apikeys.jsx'), 'ApiKeys');
const GiftCards = lazyPage(() => import('./pages/giftcards.jsx'), 'GiftCards');
const Timecards = lazyPage(() => import('./pages/timecards.jsx'), 'Timecards');

const NAV = [
  ['/', 'nav.dashboard'], ['/closes', 'nav.closes'], ['/integrations', 'nav.integrations'],
  ['/registers', 'nav.registers'], ['/staff', 'nav.staff'], ['/api-keys', 'nav.apiKeys'],
  ['/gift-cards', 'nav.giftCards'], ['/timecards', 'nav.timecards'], ['/settings', 'nav.settings'],
  ['/onboarding', 'nav.onboarding'],
];

const ROUTES = [
  ['/', Dashboard], ['/onboarding', Onboarding], ['/settings', Settings], ['/closes', Closes],
  ['/integrations', Integrations], ['/integrations/freee/callback', FreeeCallback],
  ['/integrations/:id', IntegrationDetail], ['/staff', Staff], ['/registers', Registers],
  ['/api-keys', ApiKeys], ['/gift-cards', GiftCards], ['/timecards', Timecards],
];

function Shell({ path, children }) {
  const s = useSignal(session);
  return (
    <div class="shell">
      <header class="topbar">
        <Link href="/" class="brand">{t('app.name')}</Link>
        <span class="tenant" data-testid="tenant-name">{s.tenant?.businessName}</span>
        <span class="spacer" />
        <span class="user">{s.user?.name}</span>
        <button type="button" class="link" data-testid="lang" onClick={() => setLang(lang.get() === 'ja' ? 'en' : 'ja')}>{t('lang.switch')}</button>
        <button type="button" data-testid="logout" onClick={async () => { await logOut(); navigate('/login'); }}>{t('nav.logout')}</button>
      </header>
      <nav class="sidenav" aria-label={t('nav.menu')}>
        {NAV.map(([href, key]) => (
          <Link href={href} aria-current={(href === '/' ? path === '/' : path.startsWith(href)) ? 'page' : undefined}>{t(key)}</Link>
        ))}
      </nav>
      <main>{children}</main>
    </div>
  );
}

function App() {
  useSignal(lang);
  const ready = useSignal(booted);
  const s = useSignal(session);
  const { path, query } = useRoute();
  if (!ready) return <p class="boot">{t('state.loading')}</p>;
  const publicPage = path === '/login' || path === '/signup';
  if (!s) {
    if (path === '/signup') return <SignUp />;
    // Remember where to come back to (e.g. freee's callback with its code).
    return <LogIn next={publicPage ? '/' : location.pathname + location.search} />;
  }
  if (!isManager(s)) return <ManagersOnly />;
  if (publicPage) { navigate('/', { replace: true }); return null; }
  // Stripe's hosted onboarding returns to /?cardOnboarding=done.
  if (path === '/' && query.get('cardOnboarding')) { navigate('/onboarding?cardOnboarding=done', { replace: true }); return null; }
  for (const [pattern, Comp] of ROUTES) {
    const params = match(pattern, path);
    if (params) return <Shell path={path}><Comp {...params} /></Shell>;
  }
  return <Shell path={path}><p class="empty">404</p></Shell>;
}

render(<App />, document.getElementById('app'));
boot();
