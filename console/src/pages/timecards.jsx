// Placeholder until this page is built.
import { Page } from '../ui.jsx';

export function Timecards() {
  return <Page title="Timecards"><p class="muted">…</p></Page>;
}
