/**
 * The onboarding page's script, sent inline and admitted by its SHA-256 in the page's
 * Content-Security-Policy (never `unsafe-inline`). Plain ES2017 for any current browser; it writes
 * only with `textContent`, so nothing Box or the broker says can become markup. It reads the code
 * from the fragment (which the browser never sends), posts the form as JSON to the page's own
 * path (the stage prefix included), clears the secret field as soon as it is sent, and renders
 * the setup check's rows with their `data-status`.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var CODE = /^[A-Za-z0-9_-]{43}$/;
  var MARKS = { pass: 'Passed', fail: 'Failed', skipped: 'Not checked' };
  var HEADINGS = {
    pass: 'Connected',
    fail: 'Not connected yet: a setup step needs fixing',
    inconclusive: 'Not connected yet: Box did not answer every check'
  };
  var SUMMARIES = {
    pass: 'Your Box enterprise is connected. Nothing else is needed; you can close this page.',
    fail: 'Nothing was stored. Fix the step marked Failed as it says, then enter the values again and press the button.',
    inconclusive: 'Nothing failed, but Box did not answer every check, so nothing was stored. Wait a minute and try again.'
  };
  var form = document.getElementById('connect');
  var fields = document.getElementById('fields');
  var button = document.getElementById('submit');
  var secret = document.getElementById('client-secret');
  var result = document.getElementById('result');
  var heading = document.getElementById('result-heading');
  var summary = document.getElementById('result-summary');
  var list = document.getElementById('steps');
  var problem = document.getElementById('problem');
  var code = window.location.hash.slice(1);
  // Opening a link that differs only after '#' does not load the page again (say, the whole
  // link pasted into the tab that showed a cut one): start over with the new code.
  window.addEventListener('hashchange', function () { window.location.reload(); });

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showProblem(error, message) {
    problem.setAttribute('data-error', error);
    problem.textContent = message;
    problem.hidden = false;
  }

  function clearProblem() {
    problem.hidden = true;
    problem.removeAttribute('data-error');
    problem.textContent = '';
  }

  function evidenceText(evidence) {
    if (typeof evidence.status !== 'number') return evidence.request + ': no answer from Box';
    var said = [evidence.code, evidence.message].filter(function (part) {
      return typeof part === 'string' && part !== '';
    }).join(': ');
    return evidence.request + ': HTTP ' + evidence.status + (said === '' ? '' : ' ' + said);
  }

  function row(step) {
    var item = element('li', 'step');
    item.setAttribute('data-status', step.status);
    item.setAttribute('data-step', step.id);
    var title = element('p', 'step-title');
    title.appendChild(element('span', 'mark mark-' + step.status, MARKS[step.status] || step.status));
    title.appendChild(element('span', 'name', step.title + (step.required ? '' : ' (optional)')));
    item.appendChild(title);
    // An optional step this connection does not need: the check's own note is for the CLI.
    var note = !step.required && step.status === 'skipped'
      ? 'Not needed for this connection.'
      : step.note;
    if (note) item.appendChild(element('p', 'note', note));
    (step.evidence || []).forEach(function (evidence) {
      item.appendChild(element('p', 'evidence', 'Box answered ' + evidenceText(evidence)));
    });
    if (step.fix) {
      var fix = element('p', 'fix');
      fix.appendChild(element('strong', '', 'How to fix: '));
      fix.appendChild(document.createTextNode(step.fix));
      item.appendChild(fix);
    }
    return item;
  }

  function showOutcome(answer) {
    var outcome = answer.outcome;
    result.setAttribute('data-outcome', outcome);
    heading.textContent = HEADINGS[outcome] || outcome;
    summary.textContent = SUMMARIES[outcome] || '';
    if (outcome === 'pass' && typeof answer.tenant === 'string') {
      summary.textContent = 'Your Box enterprise is connected as ' + answer.tenant +
        '. Nothing else is needed; you can close this page.';
    }
    while (list.firstChild) list.removeChild(list.firstChild);
    (answer.steps || []).forEach(function (step) { list.appendChild(row(step)); });
    result.hidden = false;
    if (outcome === 'pass') form.hidden = true;
    heading.focus();
  }

  function busy(on) {
    fields.disabled = on;
    result.setAttribute('aria-busy', on ? 'true' : 'false');
    button.textContent = on ? 'Checking your Box app\\u2026' : 'Check and connect';
  }

  function answered(status, data, retryAfter) {
    if (status === 200 && data && typeof data.outcome === 'string') {
      showOutcome(data);
      return;
    }
    // API Gateway's own throttling answers 429 without the broker's body.
    var error = data && typeof data.error === 'string'
      ? data.error
      : (status === 429 ? 'rate_limited' : 'server_error');
    if (error === 'invitation_not_found') {
      showProblem(error, 'This link is not valid any more: it is unknown, expired or already used. Ask the vendor who sent it for a new one.');
      form.hidden = true;
    } else if (error === 'rate_limited') {
      var minutes = Math.max(1, Math.ceil(Number(retryAfter || '60') / 60));
      showProblem(error, 'Too many attempts with this link. Try again in ' + minutes + ' minute' + (minutes === 1 ? '' : 's') + '.');
    } else {
      var description = data && typeof data.error_description === 'string' ? data.error_description : 'The broker could not run the check.';
      showProblem(error, description + ' Nothing was stored.');
    }
    problem.focus();
  }

  if (!CODE.test(code)) {
    showProblem('no_code', 'This page needs the whole link the vendor sent you, including everything after the # sign. Open that link again, or ask the vendor for a new one.');
    fields.disabled = true;
    return;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (fields.disabled) return;
    var body = JSON.stringify({
      code: code,
      clientId: document.getElementById('client-id').value.trim(),
      clientSecret: secret.value.trim(),
      enterpriseId: document.getElementById('enterprise-id').value.trim()
    });
    // The secret leaves the page with this request and is not kept in it.
    secret.value = '';
    clearProblem();
    busy(true);
    fetch(window.location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      return response.json().catch(function () { return undefined; }).then(function (data) {
        busy(false);
        answered(response.status, data, response.headers.get('Retry-After'));
      });
    }, function () {
      busy(false);
      showProblem('network_error', 'The broker could not be reached. Check your connection, then enter the Client Secret again and retry.');
      problem.focus();
    });
  });
})();
`;
