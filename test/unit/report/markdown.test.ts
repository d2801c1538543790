import { describe, expect, it } from 'vitest';
import { code, codeBlock, md } from '../../../src/report/markdown.js';

describe('markdown escaping', () => {
  it('makes HTML inert', () => {
    expect(md('<img src=x onerror=alert(1)> & <b>')).toBe('&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;');
  });

  it('cannot break out of a table cell or start a new row', () => {
    const out = md('a | b\n| c | d |');
    expect(out).not.toMatch(/(^|[^\\])\|/);
    expect(out).not.toContain('\n');
  });

  it('defuses links, images, emphasis and code', () => {
    expect(md('[click](https://evil.example)')).toBe('\\[click\\](https:\u200B//evil.example)');
    expect(md('![x](y)')).toBe('\\!\\[x\\](y)');
    expect(md('*bold* _it_ `code` ~~s~~')).toBe('\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~');
  });

  it('defuses mentions, issue references and bare autolinks', () => {
    expect(md('ping @octocat and @org/team')).toBe('ping @\u200Boctocat and @\u200Borg/team');
    expect(md('fixes #12')).toBe('fixes \\#\u200B12');
    expect(md('see www.example.com or http://x.y')).toBe('see www\u200B.example.com or http:\u200B//x.y');
  });

  it('leaves a leading list marker or heading inert', () => {
    expect(md('- not a list')).toBe('\\- not a list');
    expect(md('# not a heading')).toBe('\\# not a heading');
  });

  it('fences code with more backticks than the content holds', () => {
    const block = codeBlock('a ``` b\n````x', 'text');
    expect(block.startsWith('`````text\n')).toBe(true);
    expect(block.endsWith('\n`````')).toBe(true);
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`edge`')).toBe('`` `edge` ``');
    expect(code('x | y')).toBe('`x \\| y`');
  });
});
