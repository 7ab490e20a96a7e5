// The qualified invoice issuer number (適格請求書発行事業者登録番号): "T" and
// 13 digits. Full-width digits and a lower-case t are accepted as typed and
// normalised; the API checks the same shape (tenant.ValidateRegistrationNumber).
export function normalizeInvoiceNumber(s) {
  return (s || '').trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/^[tｔＴ]/, 'T').replace(/[-\s]/g, '');
}

export function invoiceNumberProblem(s) {
  const n = normalizeInvoiceNumber(s);
  if (n === '') return '';
  if (!n.startsWith('T')) return 'prefix';
  if (!/^T\d*$/.test(n)) return 'digits';
  if (n.length !== 14) return 'length';
  return '';
}
