/** The sample app's HTML: every value escaped, no inline script or style (see the CSP). */

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Claims that are times (seconds since the epoch) are shown as dates too. */
const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf', 'auth_time', 'updated_at']);

function claimValue(name: string, value: unknown): string {
  if (typeof value === 'number' && TIME_CLAIMS.has(name)) return `${value} (${new Date(value * 1000).toISOString()})`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function claimsTable(id: string, caption: string, claims: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(claims)
    .map(
      ([name, value]) =>
        `<tr data-claim="${escapeHtml(name)}"><th scope="row"><code>${escapeHtml(name)}</code></th><td>${escapeHtml(claimValue(name, value))}</td></tr>`,
    )
    .join('\n');
  return `<table id="${id}">
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">claim</th><th scope="col">value</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sump sample app</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<main>
<p class="brand">sump sample app</p>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function signedOutPage(issuer: string): string {
  return layout(
    'You are signed out',
    `<p>This app signs you in through the OpenID Connect issuer <code>${escapeHtml(issuer)}</code>.</p>
<p><a class="button" id="sign-in" href="/login">Sign in</a></p>`,
  );
}

export function signedInPage(view: {
  claims: Readonly<Record<string, unknown>>;
  userinfo: Readonly<Record<string, unknown>>;
}): string {
  const who = [view.claims.name, view.userinfo.name, view.claims.email, view.userinfo.email, view.claims.sub].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return layout(
    `Signed in as ${who ?? 'someone'}`,
    `<p><a class="button" id="sign-out" href="/logout">Sign out</a></p>
${claimsTable('id-token-claims', 'ID token claims (signature, issuer, audience and nonce checked)', view.claims)}
${claimsTable('userinfo', 'Userinfo endpoint answer', view.userinfo)}`,
  );
}

export function errorPage(title: string, message: string, next: { href: string; label: string }): string {
  return layout(
    title,
    `<p class="error" role="alert">${escapeHtml(message)}</p>
<p><a href="${escapeHtml(next.href)}">${escapeHtml(next.label)}</a></p>`,
  );
}

export const STYLESHEET = `body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 52rem; margin: 2rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.brand { margin: 0; color: #5b6475; font-size: .9rem; text-transform: uppercase; letter-spacing: .05em; }
h1 { margin-top: .25rem; font-size: 1.6rem; }
table { width: 100%; border-collapse: collapse; margin: 1.5rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: .5rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #e3e6eb; word-break: break-all; }
thead th { color: #5b6475; font-weight: 500; }
tbody th { width: 12rem; }
.button { display: inline-block; padding: .5rem 1.1rem; border-radius: 6px; background: #2f5bea; color: #fff; text-decoration: none; }
.error { color: #a40e26; }
code { font-size: .9em; }
`;
