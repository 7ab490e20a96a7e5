// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Integrations() {
  return <Page title="Integrations"><p class="muted">…</p></Page>;
}

export function IntegrationDetail({ id }) {
  return <Page title={`Integration ${id}`}><p class="muted">…</p></Page>;
}
