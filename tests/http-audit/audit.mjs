// Runs graphql-http's GraphQL-over-HTTP server audits against a running
// tiendo server:
//
//     node tests/http-audit/audit.mjs http://127.0.0.1:18080/graphql
//
// Prints one line per audit (status, id and name, reason), then the
// warnings and notices, then a last line `N passed, M failed` (failed: the
// audits whose status is `error`, i.e. a failed MUST, or an audit that
// could not run at all). Exits non-zero when any audit failed, or when a
// warning (a failed SHOULD) or a notice (a failed MAY) is not in ALLOWED.
//
// `tests/http_audit.rs` runs it against a real server; install its
// packages first with `npm ci --prefix tests/http-audit`.

import { serverAudits } from 'graphql-http';

// Audits that may fail without failing the run, by id, each with the reason
// it must stay (the README's "GraphQL over HTTP" paragraph repeats it).
// Empty: every audit passes.
const ALLOWED = {
  // 'XXXX': 'why this recommendation is not followed',
};

// How long one audit request may take before it counts as a failure.
const REQUEST_TIMEOUT_MS = 10_000;

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

const oneLine = (text) => String(text ?? '').replace(/\s+/g, ' ').trim();

let passed = 0;
let failed = 0;
const warnings = [];
const notices = [];
const unexpected = [];

for (const audit of serverAudits({ url, fetchFn })) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // graphql-http throws (rather than reporting) when the audit itself
    // could not run, e.g. the server did not answer: a failure.
    result = {
      id: audit.id,
      name: audit.name,
      status: 'error',
      reason: `the audit could not run: ${err?.message ?? err}`,
    };
  }
  let reason = '';
  if (result.status !== 'ok') {
    reason = oneLine(result.reason);
    if (result.response) {
      let body = '';
      try {
        body = oneLine(await result.response.text()).slice(0, 300);
      } catch {
        // The body was already read; the status says enough.
      }
      reason += ` (HTTP ${result.response.status}${body ? `: ${body}` : ''})`;
    }
  }
  console.log(
    `${result.status.padEnd(6)} ${result.id} ${result.name}${reason ? ` — ${reason}` : ''}`,
  );
  switch (result.status) {
    case 'ok':
      passed += 1;
      break;
    case 'warn':
      warnings.push(result);
      break;
    case 'notice':
      notices.push(result);
      break;
    default:
      failed += 1;
  }
  if ((result.status === 'warn' || result.status === 'notice') && !(result.id in ALLOWED)) {
    unexpected.push(result);
  }
}

for (const [id, why] of Object.entries(ALLOWED)) {
  console.log(`allowed ${id}: ${why}`);
}
console.log(`warnings: ${warnings.length}`);
console.log(`notices: ${notices.length}`);
for (const result of unexpected) {
  console.log(`not allowed: ${result.status} ${result.id} ${result.name}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || unexpected.length > 0 ? 1 : 0);
