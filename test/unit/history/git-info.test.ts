import { describe, expect, it } from 'vitest';

describe('repository URL for commit links', () => {
  it('from Actions, an ssh remote or an https remote with a token; none without a remote', async () => {
    const { repoUrl } = await import('../../../src/history/git-info.js');
    const { execFileSync } = await import('node:child_process');
    const { tempDir } = await import('../../helpers.js');
    expect(repoUrl('/', { GITHUB_REPOSITORY: 'acme/shop', GITHUB_SERVER_URL: 'https://ghe.example' })).toBe(
      'https://ghe.example/acme/shop',
    );
    const dir = tempDir();
    execFileSync('git', ['init', '-q', dir]);
    expect(repoUrl(dir, {})).toBeNull();
    execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'git@github.com:acme/shop.git']);
    expect(repoUrl(dir, {})).toBe('https://github.com/acme/shop');
    execFileSync('git', ['-C', dir, 'remote', 'set-url', 'origin', 'https://x-access-token:secret@github.com/acme/shop.git']);
    expect(repoUrl(dir, {})).toBe('https://github.com/acme/shop'); // the token never reaches the page
  });
});
