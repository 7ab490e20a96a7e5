// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Dashboard() {
  return <Page title="Dashboard"><p class="muted">…</p></Page>;
}
