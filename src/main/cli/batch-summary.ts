// The batch's summary CSV (one row per stack, a spreadsheet opens it), written by every way of
// running a batch, and read back to merge the per-shard summaries of a Slurm array.
import type { BatchRow, BatchStatus } from './batch-core';

export const SUMMARY_FILE = 'batch-summary.csv';

const HEADER = ['stack', 'slices', 'size', 'time_s', 'outputs', 'status'];
const STATUSES: readonly BatchStatus[] = ['done', 'up to date', 'failed', 'cancelled'];

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line of a row (no newline). */
export function summaryLine(r: BatchRow): string {
  const status = r.message ? `${r.status}: ${r.message}` : r.status;
  return [r.stack, r.slices, r.size, r.seconds.toFixed(2), r.outputs.join(';'), status].map(csvField).join(',');
}

export function summaryCsv(rows: BatchRow[]): string {
  return [HEADER.join(','), ...rows.map(summaryLine)].join('\n') + '\n';
}

/** The fields of one CSV record, quotes undone (RFC 4180: "" inside quotes is one "). */
function splitRecords(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (current += '"'), i++;
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(current), (current = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(current);
      records.push(fields);
      fields = [];
      current = '';
    } else current += c;
  }
  if (current !== '' || fields.length > 0) records.push([...fields, current]);
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** The rows of a summary CSV this module wrote; `file` names it in the error for anything else. */
export function parseSummaryCsv(text: string, file: string): BatchRow[] {
  const [header, ...records] = splitRecords(text);
  if (!header || header.join(',') !== HEADER.join(',')) throw new Error(`${file} is not a Deepfield batch summary (its first line is not "${HEADER.join(',')}")`);
  return records.map((fields) => {
    const [stack, slices, size, seconds, outputs, statusText] = fields;
    const status = STATUSES.find((s) => statusText === s || statusText?.startsWith(`${s}: `));
    if (!status || fields.length !== HEADER.length) throw new Error(`${file}: cannot read the row of ${stack ?? '?'}`);
    const message = statusText.length > status.length ? statusText.slice(status.length + 2) : undefined;
    return {
      stack,
      slices: slices === '' ? null : Number(slices),
      size,
      seconds: Number(seconds),
      outputs: outputs === '' ? [] : outputs.split(';'),
      status,
      ...(message === undefined ? {} : { message }),
    };
  });
}
