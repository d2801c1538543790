// HTTP/1.1 syntax that perfgate checks before anything goes on the wire: header names are tokens,
// header values hold no CR, LF or other control bytes, paths are percent-encoded as UTF-8. The
// config refuses what a user wrote; the load engine refuses what a workflow captured.

/** What makes a header value unsendable (CR/LF, other control bytes, characters beyond Latin-1), or null. */
export function invalidHeaderValue(value: string): string | null {
  if (/[\r\n]/.test(value)) return 'a CR or LF';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return 'a control character';
  if ([...value].some((ch) => ch.charCodeAt(0) > 0xff)) return 'a character beyond Latin-1 (percent-encode it)';
  return null;
}

/** Whether a header name is an HTTP token. */
export function validHeaderName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

/**
 * A path as it goes on the wire: characters a URL cannot carry as they are (spaces, non-ASCII,
 * quotes…) percent-encoded as UTF-8; what is already percent-encoded, and the URL's own
 * delimiters (/ ? & = + : @ …), kept. Throws on a lone surrogate (no UTF-8 for it).
 */
export function encodePath(path: string): string {
  if (/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/.test(path) && !/%(?![0-9A-Fa-f]{2})/.test(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (/[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/.test(ch)) out += ch;
    else if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) out += ch;
    else {
      const code = path.codePointAt(i)!;
      const char = String.fromCodePoint(code);
      if (code >= 0xd800 && code <= 0xdfff) throw new URIError('lone surrogate in a path');
      out += encodeURIComponent(char);
      if (char.length === 2) i++;
    }
  }
  return out;
}

/** A certificate error, with what to set. */
export function tlsHint(code: string): string {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
    ? `${code} (the service's certificate is not trusted: service.tls.ca names a private CA; service.tls.insecure: true accepts a self-signed one)`
    : code;
}
