// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Closes() {
  return <Page title="Closes"><p class="muted">…</p></Page>;
}
