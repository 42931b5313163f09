/**
 * What a notification says, rendered for each channel: a title line, Slack Block Kit blocks, and
 * e-mail text and HTML. Every channel says the same things: what, where, value vs threshold, since
 * when, and the hint.
 */
import type { AlertNotification, AlertState } from './types.js';

const SEVERITY_MARK = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
} as const;

/** `[FIRING] critical: Connections used: critical` (also the e-mail subject). */
export function titleOf(n: AlertNotification): string {
  const tag = n.kind === 'resolved' ? 'RESOLVED' : n.repeat ? 'STILL FIRING' : 'FIRING';
  return `[${tag}] ${n.alert.severity}: ${n.alert.summary || n.alert.rule}`;
}

/** `87 %` / `-`. */
export function valueText(a: AlertState): string {
  if (a.value === null) return '-';
  return a.unit ? `${a.value} ${a.unit}` : String(a.value);
}

/** The facts of a notification as label/value pairs, in reading order. */
export function factsOf(n: AlertNotification): [string, string][] {
  const a = n.alert;
  const facts: [string, string][] = [
    ['Alert', a.key],
    ['Server', n.source],
    ['Severity', a.severity],
    ['Value', valueText(a)],
    ['Threshold', a.threshold ?? '-'],
  ];
  if (n.kind === 'resolved') {
    facts.push(['Firing since', a.firingSince ?? '-'], ['Resolved at', a.resolvedAt ?? n.at]);
  } else {
    facts.push(['Firing since', a.firingSince ?? n.at], ['Condition since', a.activeSince ?? '-']);
  }
  for (const [k, v] of Object.entries(a.labels)) facts.push([k, v]);
  return facts;
}

/** The Slack message: `text` for notifications and old clients, `blocks` for the readable version. */
export function slackPayload(n: AlertNotification): { text: string; blocks: unknown[] } {
  const a = n.alert;
  const mark = n.kind === 'resolved' ? ':white_check_mark:' : SEVERITY_MARK[a.severity];
  const title = titleOf(n);
  const fields = factsOf(n).map(([k, v]) => ({
    type: 'mrkdwn',
    text: `*${escapeSlack(k)}*\n${escapeSlack(v)}`,
  }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${mark} ${title}`, 150), emoji: true } },
    // Slack allows at most 10 fields per section.
    ...chunk(fields, 10).map((part) => ({ type: 'section', fields: part })),
  ];
  if (a.hint && n.kind !== 'resolved')
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*What to do:* ${escapeSlack(a.hint)}`, 3000) },
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `mysqlops · ${escapeSlack(n.at)}` }] });
  return { text: `${title} on ${n.source}`, blocks };
}

/** The e-mail: subject, plain text and a simple HTML table. */
export function emailContent(n: AlertNotification): { subject: string; text: string; html: string } {
  const title = titleOf(n);
  const facts = factsOf(n);
  const hint = n.kind !== 'resolved' && n.alert.hint ? n.alert.hint : undefined;
  const width = Math.max(...facts.map(([k]) => k.length));
  const text = [
    `${title} on ${n.source}`,
    '',
    ...facts.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`),
    ...(hint ? ['', `What to do: ${hint}`] : []),
    '',
    `-- mysqlops, ${n.at}`,
  ].join('\n');
  const rows = facts
    .map(
      ([k, v]) =>
        `<tr><th align="left" style="padding-right:12px">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(title)}</h2>`,
    `<p>on <b>${escapeHtml(n.source)}</b></p>`,
    `<table>${rows}</table>`,
    hint ? `<p><b>What to do:</b> ${escapeHtml(hint)}</p>` : '',
    `<p style="color:#666">mysqlops, ${escapeHtml(n.at)}</p>`,
    '</body></html>',
  ].join('');
  return { subject: `[mysqlops] ${title}`, text, html };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Slack's mrkdwn treats only these three as markup characters. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
