// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function FreeeCallback() {
  return <Page title="FreeeCallback"><p class="muted">…</p></Page>;
}
