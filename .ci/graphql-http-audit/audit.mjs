// Runs graphql-http's GraphQL-over-HTTP server audit against a running server.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql node audit.mjs
//
// Prints every audit with its result (ok, warn, notice or error) and exits non-zero
// when any audit is an error (a failed MUST). Warnings (failed SHOULDs) and notices
// (failed MAYs) are printed but do not fail the run.
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit.mjs <url>   (or set GRAPHQL_URL)');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, notice: 0, error: 0 };
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    const response = result.response;
    let body = '';
    try {
      body = (await response.clone().text()).slice(0, 300);
    } catch {
      // the body was already read by the audit
    }
    line += `\n         reason: ${result.reason}`;
    line += `\n         got: ${response.status} ${response.headers.get('content-type') ?? '(no content-type)'} ${body}`;
  }
  console.log(line);
}
console.log(
  `\n${results.length} audits against ${url}: ` +
    Object.entries(counts)
      .map(([status, count]) => `${count} ${status}`)
      .join(', '),
);
process.exit(counts.error > 0 ? 1 : 0);
