import { renderAlert, renderAudit, renderCase, renderLinks, renderNote } from './cases.render.ts';
import { SCORE_SCALE_BP, type CaseView } from './cases.ts';

/**
 * The case report: everything an investigator files about a case, as one JSON document, and the same
 * content as readable Markdown or HTML. The readable forms are built from one list of blocks, so the
 * two can never say different things.
 */
export const REPORT_FORMAT = 'sluice-case-report';
export const REPORT_VERSION = 1;

export interface ReportContext {
  readonly generatedAtMs: number;
  readonly generatedBy: string;
  /** The latest mule-ring score of an account (0..1), where the graph module knows one. */
  readonly accountScore?: (accountId: string) => number | undefined;
}

export function buildReport(view: CaseView, context: ReportContext) {
  const links = renderLinks(view.links);
  const count = (values: readonly string[]) => Object.fromEntries([...new Set(values)].sort().map((value) => [value, values.filter((item) => item === value).length]));
  const times = view.alerts.map((alert) => alert.raisedAtMs);
  return {
    report: REPORT_FORMAT,
    version: REPORT_VERSION,
    generated_at: new Date(context.generatedAtMs).toISOString(),
    generated_by: context.generatedBy,
    case: renderCase(view.case),
    summary: {
      alerts: view.case.alertCount,
      alerts_in_report: view.alerts.length,
      by_source: count(view.alerts.map((alert) => alert.source)),
      by_kind: count(view.alerts.map((alert) => alert.kind)),
      highest_score: view.alerts.reduce((max, alert) => Math.max(max, alert.scoreBp), 0) / SCORE_SCALE_BP,
      first_alert_at: times.length ? new Date(Math.min(...times)).toISOString() : null,
      last_alert_at: times.length ? new Date(Math.max(...times)).toISOString() : null,
      linked: { transfers: links.transfers.length, payments: links.payments.length, accounts: links.accounts.length, parties: links.parties.length },
      notes: view.notes.length,
      status_history: view.audit.filter((entry) => entry.action === 'status_changed').map((entry) => ({ at: new Date(entry.atMs).toISOString(), actor: entry.actor, ...entry.detail })),
    },
    alerts: view.alerts.map(renderAlert),
    notes: view.notes.map(renderNote),
    links: { ...links, accounts: links.accounts.map((account) => ({ ...account, graph_score: context.accountScore?.(account.id) ?? null })) },
    audit: view.audit.map(renderAudit),
  };
}

export type CaseReport = ReturnType<typeof buildReport>;

type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'fields'; readonly rows: readonly (readonly [string, string])[] }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'text'; readonly text: string };

const orNone = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? '—' : value);
const compact = (detail: unknown) => Object.entries(detail as Record<string, unknown>).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join('; ');

function reportBlocks(report: CaseReport): Block[] {
  const { case: record, summary } = report;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `Case report: ${record.title}` },
    {
      kind: 'fields',
      rows: [
        ['Case', record.id], ['Status', record.status], ['Priority', record.priority.toFixed(2)], ['Source', record.source],
        ['Assignee', orNone(record.assignee)], ['Opened', orNone(record.created_at)], ['Closed', orNone(record.closed_at)],
        ['Report generated', `${report.generated_at} by ${report.generated_by}`],
      ],
    },
    { kind: 'heading', level: 2, text: 'Summary' },
    {
      kind: 'list',
      items: [
        `${summary.alerts} alert(s), ${summary.alerts_in_report} in this report; highest score ${summary.highest_score.toFixed(2)}`,
        `By source: ${orNone(compact(summary.by_source))}`,
        `By kind: ${orNone(compact(summary.by_kind))}`,
        `Alerts from ${orNone(summary.first_alert_at)} to ${orNone(summary.last_alert_at)}`,
        `Linked: ${summary.linked.accounts} account(s), ${summary.linked.parties} part(ies), ${summary.linked.transfers} transfer(s), ${summary.linked.payments} payment(s); ${summary.notes} note(s)`,
      ],
    },
    { kind: 'heading', level: 2, text: `Alerts (${report.alerts.length})` },
  ];
  report.alerts.forEach((alert, index) => {
    blocks.push({ kind: 'heading', level: 3, text: `${index + 1}. ${alert.title}` });
    blocks.push({ kind: 'fields', rows: [['Alert', alert.id], ['Raised', orNone(alert.raised_at)], ['Source / kind', `${alert.source} / ${alert.kind}`], ['Score', alert.score.toFixed(2)]] });
    if (alert.reasons.length) blocks.push({ kind: 'list', items: alert.reasons });
  });
  blocks.push({ kind: 'heading', level: 2, text: 'Linked accounts, parties, transfers and payments' });
  const linkRows = [
    ...report.links.accounts.map((account) => ['account', account.id, account.graph_score === null ? '—' : account.graph_score.toFixed(2), orNone(account.linked_at)]),
    ...report.links.parties.map((party) => ['party', party.id, '—', orNone(party.linked_at)]),
    ...report.links.transfers.map((transfer) => ['transfer', transfer.id, '—', orNone(transfer.linked_at)]),
    ...report.links.payments.map((payment) => ['payment', payment.id, '—', orNone(payment.linked_at)]),
  ];
  blocks.push(linkRows.length ? { kind: 'table', header: ['Kind', 'Id', 'Graph score', 'Linked'], rows: linkRows } : { kind: 'text', text: 'Nothing linked.' });
  blocks.push({ kind: 'heading', level: 2, text: `Notes (${report.notes.length})` });
  if (report.notes.length === 0) blocks.push({ kind: 'text', text: 'No notes.' });
  for (const note of report.notes) blocks.push({ kind: 'fields', rows: [[`${orNone(note.created_at)} — ${note.author}`, note.text]] });
  blocks.push({ kind: 'heading', level: 2, text: 'Audit trail' });
  blocks.push({ kind: 'table', header: ['#', 'At', 'Actor', 'Action', 'Detail'], rows: report.audit.map((entry) => [String(entry.seq), orNone(entry.at), entry.actor, entry.action, compact(entry.detail)]) });
  return blocks;
}

/**
 * Characters that start emphasis, code, links, HTML, entities, headings or table cells are escaped,
 * and every line break (CR alone is one too) becomes a space, so text from alerts and notes cannot
 * change the layout. A value that follows a list marker starts a block of its own, so a leading
 * list marker (-, +, 1.) is escaped as well.
 */
const md = (text: string) => text
  .replace(/[\\`*_[\]<>|~#&]/g, '\\$&').replace(/\r\n?|\n/g, ' ')
  .replace(/^(\s*)([-+])/, '$1\\$2').replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2');

export function reportMarkdown(report: CaseReport): string {
  const lines: string[] = [];
  for (const block of reportBlocks(report)) {
    if (block.kind === 'heading') lines.push(`${'#'.repeat(block.level)} ${md(block.text)}`, '');
    else if (block.kind === 'fields') lines.push(...block.rows.map(([label, value]) => `- **${md(label)}**: ${md(value)}`), '');
    else if (block.kind === 'list') lines.push(...block.items.map((item) => `- ${md(item)}`), '');
    else if (block.kind === 'text') lines.push(md(block.text), '');
    else {
      lines.push(`| ${block.header.map(md).join(' | ')} |`, `|${block.header.map(() => ' --- |').join('')}`);
      lines.push(...block.rows.map((row) => `| ${row.map(md).join(' | ')} |`), '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const html = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function reportHtml(report: CaseReport): string {
  const parts: string[] = [];
  for (const block of reportBlocks(report)) {
    if (block.kind === 'heading') parts.push(`<h${block.level}>${html(block.text)}</h${block.level}>`);
    else if (block.kind === 'fields') parts.push(`<dl>${block.rows.map(([label, value]) => `<dt>${html(label)}</dt><dd>${html(value)}</dd>`).join('')}</dl>`);
    else if (block.kind === 'list') parts.push(`<ul>${block.items.map((item) => `<li>${html(item)}</li>`).join('')}</ul>`);
    else if (block.kind === 'text') parts.push(`<p>${html(block.text)}</p>`);
    else {
      const head = `<tr>${block.header.map((cell) => `<th>${html(cell)}</th>`).join('')}</tr>`;
      parts.push(`<table><thead>${head}</thead><tbody>${block.rows.map((row) => `<tr>${row.map((cell) => `<td>${html(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    }
  }
  // Styles sit in a <style> element, which the server's content security policy allows inline.
  const style = 'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600}dd{margin:0 0 .5rem 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${html(`Case report: ${report.case.title}`)}</title><style>${style}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
