/**
 * The onboarding page's style, inline and admitted by its SHA-256 in the CSP. System fonts only
 * (no third-party asset); every colour pair meets WCAG AA contrast (4.5:1 or more on white), and
 * a status is always written out, never shown by colour alone.
 */
export const PAGE_STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1b1f24; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 42rem; margin: 2rem auto; padding: 2rem; background: #fff; border: 1px solid #d0d4da; border-radius: 8px; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
h2:focus, [tabindex="-1"]:focus { outline: 3px solid #0b57d0; outline-offset: 3px; }
.lead li { margin: .25rem 0; }
fieldset { border: 0; margin: 1.5rem 0 0; padding: 0; }
legend { font-weight: 600; margin-bottom: .5rem; }
.field { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { width: 100%; font: inherit; padding: .5rem .6rem; border: 1px solid #5f6670; border-radius: 4px; color: #1b1f24; background: #fff; }
input:focus { outline: 3px solid #0b57d0; outline-offset: 1px; border-color: #0b57d0; }
.hint { margin: .25rem 0 0; color: #4a525c; font-size: .9rem; }
button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border: 0; border-radius: 4px; background: #0b57d0; color: #fff; cursor: pointer; }
button:focus { outline: 3px solid #1b1f24; outline-offset: 2px; }
button:disabled { background: #5f6670; cursor: progress; }
#problem { margin: 1rem 0; padding: .75rem 1rem; border-left: 4px solid #b3261e; background: #fdf0ef; color: #1b1f24; }
#result-summary { margin: 0 0 1rem; }
#steps { list-style: none; margin: 0; padding: 0; }
.step { border: 1px solid #d0d4da; border-left-width: 6px; border-radius: 4px; padding: .5rem .75rem; margin: 0 0 .5rem; }
.step[data-status="pass"] { border-left-color: #1e7b34; }
.step[data-status="fail"] { border-left-color: #b3261e; background: #fdf0ef; }
.step[data-status="skipped"] { border-left-color: #5f6670; }
.step p { margin: .25rem 0; }
.step-title { font-weight: 600; }
.mark { display: inline-block; min-width: 8.5rem; margin-right: .5rem; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; }
.mark-pass { color: #1e6b2f; }
.mark-fail { color: #a1231b; }
.mark-skipped { color: #4a525c; }
.evidence { font-family: ui-monospace, "SFMono-Regular", Consolas, monospace; font-size: .85rem; color: #4a525c; overflow-wrap: anywhere; }
[data-outcome="pass"] #result-heading { color: #1e6b2f; }
[hidden] { display: none !important; }
`;
