// The release workflow's notes come from CHANGELOG.md: the section of the tagged version.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { releaseNotes as notes } from '../../../scripts/release-notes.mjs';
const root = new URL('../../../', import.meta.url);

describe('scripts/release-notes.mjs', () => {
  const changelog = '# Changelog\n\n## 1.1.0 — 2027-01-10\n\n- Faster.\n\n## 1.0.0 — 2026-12-02\n\n- First.\n';

  it('prints the section of the tagged version, and only it', () => {
    expect(notes(changelog, 'v1.1.0')).toBe('- Faster.\n');
    expect(notes(changelog, 'v1.0.0')).toBe('- First.\n');
  });

  it('a version without a section, or with an empty one, is an error', () => {
    expect(() => notes(changelog, 'v1.0.1')).toThrow('CHANGELOG.md has no section "## 1.0.1"');
    expect(() => notes('## 2.0.0\n\n## 1.0.0\n- x\n', 'v2.0.0')).toThrow('the CHANGELOG.md section of 2.0.0 is empty');
  });

  it("the repository's CHANGELOG.md has notes for package.json's version", () => {
    const version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;
    expect(notes(readFileSync(new URL('CHANGELOG.md', root), 'utf8'), `v${version}`).length).toBeGreaterThan(100);
  });
});
