// Pure helpers for the benchmarks' Markdown: medians, tables, and ratio rows that a reader can
// check against the figures beside them. No imports from build/, so tests can load it as it is.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function table(headers, rows) {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * Rows of tools measured in the same rounds: every round's figure, their median, each round's
 * ratio to the reference tool's figure in that round, and the median of those ratios. A ratio
 * of medians can disagree with its own row when rounds swing; this one follows from what it shows.
 */
export function perRoundRows(tools, reference) {
  const ref = tools[reference];
  return Object.entries(tools).map(([label, xs]) => {
    if (!xs) return [label, 'not measured', '–', '–', '–'];
    const ratios = xs.map((x, i) => x / ref[i]);
    return [
      label,
      xs.map((x) => x.toFixed(0)).join(' · '),
      median(xs).toFixed(0),
      ratios.map((r) => r.toFixed(3)).join(', '),
      median(ratios).toFixed(3),
    ];
  });
}
