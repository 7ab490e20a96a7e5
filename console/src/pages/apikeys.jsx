// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function ApiKeys() {
  return <Page title="ApiKeys"><p class="muted">…</p></Page>;
}
