// Business dates (YYYY-MM-DD) and the instants that bound them in a time
// zone, for the dashboard's and the closes page's ranges.

export const pad = (n) => String(n).padStart(2, '0');

// offsetMinutes is timeZone's offset from UTC at the instant ms.
function offsetMinutes(timeZone, ms) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
}

// midnight is the start of the date ymd (YYYY-MM-DD) in timeZone, as RFC
// 3339 with the zone's offset (2026-11-30T00:00:00+09:00). A zone whose
// offset is not whole hours gets the whole UTC hour before it (the API
// keeps figures per hour and refuses other instants).
export function midnight(ymd, timeZone) {
  const [y, m, d] = ymd.split('-').map(Number);
  const naive = Date.UTC(y, m - 1, d);
  let off = 0;
  try {
    off = offsetMinutes(timeZone, naive);
    off = offsetMinutes(timeZone, naive - off * 60000);
  } catch { off = 0; }
  if (off % 60 !== 0) {
    const ms = naive - off * 60000;
    return new Date(Math.floor(ms / 3600000) * 3600000).toISOString().replace('.000Z', 'Z');
  }
  const a = Math.abs(off);
  return `${ymd}T00:00:00${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

// addDays moves a YYYY-MM-DD date by n days.
export function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// daysBetween counts the days from a to b (YYYY-MM-DD), b - a.
export function daysBetween(a, b) {
  const ms = (s) => { const [y, m, d] = s.split('-').map(Number); return Date.UTC(y, m - 1, d); };
  return Math.round((ms(b) - ms(a)) / 86400000);
}
