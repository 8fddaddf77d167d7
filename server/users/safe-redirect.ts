// Where a user may be sent after signing in: a path of this app, never another origin.

/**
 * `next` as a path of `appUrl`'s origin, else "/". Parsed with the URL parser browsers use, so
 * `/\evil.example` (a backslash is a slash there) and `//evil.example` are other origins; a path
 * whose decoded form holds a control character or a backslash, or starts with two slashes
 * (`/%09/evil.example` becomes `//evil.example` once the tab is decoded and dropped), is refused.
 */
export function safeRedirectPath(next: string | null | undefined, appUrl: string): string {
  if (!next) return "/";
  let url: URL;
  let base: URL;
  try {
    base = new URL(appUrl);
    url = new URL(next, base);
  } catch {
    return "/";
  }
  if (url.origin !== base.origin) return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return "/";
  }
  if (/[\u0000-\u001f\u007f\\]/.test(decoded) || /^\/\s*\//.test(decoded)) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
