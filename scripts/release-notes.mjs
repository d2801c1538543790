// Prints the notes of one version from CHANGELOG.md (the text under "## X.Y.Z", up to the next
// "## "), for the release workflow. Fails when the version has no section or it is empty.
// Usage: node scripts/release-notes.mjs v1.2.3 [CHANGELOG.md]
import { readFileSync } from 'node:fs';

export function releaseNotes(changelog, tag) {
  const version = tag.replace(/^v/, '');
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^## \\[?${version.replace(/\./g, '\\.')}\\]?( |$)`).test(l));
  if (start < 0) throw new Error(`CHANGELOG.md has no section "## ${version}"`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
  if (!body) throw new Error(`the CHANGELOG.md section of ${version} is empty`);
  return `${body}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [tag, file = 'CHANGELOG.md'] = process.argv.slice(2);
  if (!tag) {
    process.stderr.write('usage: node scripts/release-notes.mjs vX.Y.Z [CHANGELOG.md]\n');
    process.exit(2);
  }
  try {
    process.stdout.write(releaseNotes(readFileSync(file, 'utf8'), tag));
  } catch (err) {
    process.stderr.write(`release-notes: ${err.message}\n`);
    process.exit(1);
  }
}
