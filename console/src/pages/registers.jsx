// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Registers() {
  return <Page title="Registers"><p class="muted">…</p></Page>;
}
