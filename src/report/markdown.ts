// Making text that came from the service or the config safe inside Markdown: no HTML, no
// links, mentions or issue references that nobody wrote, no broken tables. Pure.

const ZWSP = '\u200B';

/** Inline text (paragraphs and table cells): one line, every Markdown control character inert. */
export function md(text: string): string {
  return String(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]#+!|~])/g, '\\$1')
    .replace(/^(\s*)([-=])/, '$1\\$2') // list item / setext heading at the start of a line
    .replace(/@(?=[\w-])/g, `@${ZWSP}`) // @mentions
    .replace(/:\/\//g, `:${ZWSP}//`) // bare-URL autolinks
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`)
    .replace(/(^|\s)(\\#)(?=\d)/g, `$1$2${ZWSP}`); // #123 issue references
}

/** Text for HTML (element content or a quoted attribute): every character that could open markup as an entity. */
export function htmlText(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A fenced code block whose fence is longer than any run of backticks inside. */
export function codeBlock(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/** Inline code for short literal text (an expression, a command), safe for any backticks. */
export function code(text: string): string {
  const oneLine = String(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...oneLine.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${oneLine}${pad}${ticks}`;
}
