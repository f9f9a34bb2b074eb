/**
 * `GET /onboard` (contract v1.3): one self-contained page. Its only script and style are inline
 * and admitted by their SHA-256, so the Content-Security-Policy needs no `unsafe-inline`; nothing
 * is loaded from anywhere (`default-src 'none'`), the script may talk only to the page's own
 * origin, the form itself can submit nowhere (`form-action 'none'`: the script posts JSON, and
 * without the script nothing leaves the page), no site may frame it, and nothing is cached.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's Content-Security-Policy: exactly its own script and style, nothing else. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256Source(PAGE_SCRIPT)}`,
  `style-src ${sha256Source(PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Headers of every `/onboard` answer, the page and the submit's JSON alike: no caching anywhere,
 * no referrer, no framing, no MIME sniffing, its own browsing context group.
 */
export const ONBOARD_SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

const FIELDS = [
  {
    id: 'client-id',
    label: 'Client ID',
    type: 'text',
    extra: 'spellcheck="false" autocapitalize="off"',
    hint: 'Box Developer Console (app.box.com/developers/console) > your app > Configuration tab > OAuth 2.0 Credentials.',
  },
  {
    id: 'client-secret',
    label: 'Client Secret',
    type: 'password',
    extra: 'spellcheck="false" autocapitalize="off"',
    hint: 'Same place: Fetch Client Secret (Box asks for two-step verification). It goes straight to the vendor’s secret store; this page never shows it back.',
  },
  {
    id: 'enterprise-id',
    label: 'Enterprise ID',
    type: 'text',
    extra: 'inputmode="numeric" spellcheck="false"',
    hint: 'Box Admin Console > Account & Billing > Account Information > Enterprise ID (digits only).',
  },
] as const;

function fieldHtml(field: (typeof FIELDS)[number]): string {
  return `<div class="field">
<label for="${field.id}">${field.label}</label>
<input id="${field.id}" name="${field.id}" type="${field.type}" autocomplete="off" required aria-describedby="${field.id}-hint" ${field.extra}>
<p class="hint" id="${field.id}-hint">${field.hint}</p>
</div>`;
}

/** The page's HTML. Static: the code is read by the script from the fragment, never by the server. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>Connect your Box enterprise</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>Connect your Box enterprise</h1>
<p>A vendor invited you to connect your company’s Box enterprise to its service. Enter your Box app’s three values below; this page then checks, step by step, that the app is set up as the vendor needs it.</p>
<ul class="lead">
<li>When every step passes, the values are stored in the vendor’s secret store and the vendor can obtain Box access tokens for your enterprise, within the scopes your app allows. You can stop that at any time in Box by deauthorising the app or resetting its client secret.</li>
<li>When a step fails, nothing is stored: the page says which step, what Box answered and how to fix it, and you can try again.</li>
<li>The link works once, and only until it expires.</li>
</ul>
<noscript><p>This page needs JavaScript to check your Box app and send the values securely; please turn it on for this page.</p></noscript>
<div id="problem" role="alert" tabindex="-1" hidden></div>
<form id="connect" method="post" autocomplete="off">
<fieldset id="fields">
<legend>Your Box app (Server Authentication, Client Credentials Grant)</legend>
${FIELDS.map(fieldHtml).join('\n')}
<button id="submit" type="submit">Check and connect</button>
</fieldset>
</form>
<section id="result" aria-labelledby="result-heading" aria-live="polite" hidden>
<h2 id="result-heading" tabindex="-1"></h2>
<p id="result-summary"></p>
<ol id="steps" aria-label="Setup steps"></ol>
</section>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;

/** The page as API Gateway answers it. */
export function onboardPage(requestId: string): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: {
      ...ONBOARD_SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': PAGE_CSP,
      'X-Request-Id': requestId,
    },
    body: PAGE_HTML,
  };
}
