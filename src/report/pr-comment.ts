// The PR comment: the report under a hidden marker (so the same comment is found and updated on
// every push), cut to GitHub's 65 536-character limit by dropping detail sections first and
// keeping the verdict, the targets table and the regression analysis. Pure.

export const COMMENT_LIMIT = 65_536;

/** Sections kept whatever it costs, in this order of importance (after the title block). */
const ESSENTIAL = ['Executive summary', 'Performance Targets & Status', 'Regression analysis'];

export function commentMarker(gateName: string): string {
  // Inside an HTML comment `--` must not appear; encode the name.
  return `<!-- perfgate:${encodeURIComponent(gateName).replace(/-/g, '%2D')} -->`;
}

export interface CommentOptions {
  marker: string;
  /** Link to the job summary with the full report, when known. */
  summaryUrl: string | null;
  limit?: number;
}

export function buildComment(report: string, opts: CommentOptions): string {
  const limit = opts.limit ?? COMMENT_LIMIT;
  const link = opts.summaryUrl ? `[job summary](${opts.summaryUrl})` : 'job summary';
  const full = `${opts.marker}\n${report.trimEnd()}\n\n<sub>Full report with per-trial figures: ${link}.</sub>\n`;
  if (full.length <= limit) return full;

  const [head, ...rest] = report.split(/^(?=## )/m);
  const sections = rest.map((text) => ({ title: /^## (.*)$/m.exec(text)?.[1]?.trim() ?? '', text: text.trimEnd() }));
  const keep = new Set(sections.filter((s) => ESSENTIAL.includes(s.title)));
  const dropped: string[] = [];
  const note = (names: string[]): string =>
    `\n\n> ✂️ Cut to fit a comment: ${names.join(', ') || 'detail'} ${names.length === 1 ? 'is' : 'are'} in the ${link}.\n`;
  const compose = (chosen: Set<(typeof sections)[number]>): string =>
    [`${opts.marker}\n${(head ?? '').trimEnd()}`, ...sections.filter((s) => chosen.has(s)).map((s) => s.text)].join('\n\n');
  // Add optional sections, in report order, while they fit with the note.
  for (const s of sections) {
    if (keep.has(s)) continue;
    const trial = new Set([...keep, s]);
    const names = sections.filter((x) => !trial.has(x)).map((x) => x.title);
    if (compose(trial).length + note(names).length <= limit) keep.add(s);
    else dropped.push(s.title);
  }
  let body = compose(keep);
  const tail = note(sections.filter((x) => !keep.has(x)).map((x) => x.title));
  if (body.length + tail.length > limit) body = cutAtLine(body, limit - tail.length - 200);
  return `${body}${tail}`;
}

/** Cuts at a line boundary below `max` characters, closing a code fence left open. */
function cutAtLine(text: string, max: number): string {
  let cut = text.slice(0, Math.max(0, max));
  cut = cut.slice(0, cut.lastIndexOf('\n'));
  const fences = cut.match(/^(`{3,}|~{3,})/gm) ?? [];
  if (fences.length % 2 === 1) cut += `\n${fences[fences.length - 1]}`;
  return `${cut}\n\n…`;
}

/** What replaces a sticky comment when its problem cleared (comment: on-change). */
export function resolvedComment(marker: string, gateName: string, sha: string | null, summaryUrl: string | null): string {
  const at = sha ? ` at \`${sha.slice(0, 7)}\`` : '';
  const link = summaryUrl ? ` Full report: [job summary](${summaryUrl}).` : '';
  return `${marker}\n### ✅ perfgate (${gateName.replace(/[<>`*_[\]|]/g, '')}): resolved\n\nThe latest run${at} passes: every target met, no regression or improvement against history.${link}\n`;
}
