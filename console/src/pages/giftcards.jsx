// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function GiftCards() {
  return <Page title="GiftCards"><p class="muted">…</p></Page>;
}
