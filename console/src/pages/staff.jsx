// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Staff() {
  return <Page title="Staff"><p class="muted">…</p></Page>;
}
