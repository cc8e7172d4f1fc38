/**
 * The access-log line of `hexpub serve`: Common Log Format plus duration,
 * the path without its query, odd bytes escaped, `-` for what is unknown.
 */
import { strict as assert } from "node:assert";
import { accessLogLine, clfTime } from "../../../src/repository/http/access_log.ts";

const time = Date.UTC(2025, 11, 7, 18, 22, 14, 900);

Deno.test("clfTime is the Common Log Format's UTC time", () => {
  assert.equal(clfTime(time), "07/Dec/2025:18:22:14 +0000");
  assert.equal(clfTime(Date.UTC(2024, 0, 31, 3, 4, 5)), "31/Jan/2024:03:04:05 +0000");
  assert.equal(clfTime(time + 50), "07/Dec/2025:18:22:14 +0000");
  assert.equal(clfTime(time + 100), "07/Dec/2025:18:22:15 +0000");
});

Deno.test("a request's line: address, key name, path without query, status, bytes, ms", () => {
  const request = new Request("http://127.0.0.1:4000/api/packages?search=key-abc&x=1", {
    headers: { authorization: "key-abc" },
  });
  assert.equal(
    accessLogLine(
      {
        request,
        method: "GET",
        protocol: "HTTP/1.1",
        remoteAddr: "::1",
        status: 200,
        bytes: 1234,
        time,
        ms: 3.14159,
      },
      "ci",
    ),
    '::1 - ci [07/Dec/2025:18:22:14 +0000] "GET /api/packages HTTP/1.1" 200 1234 3.1ms',
  );
});

Deno.test('unknown parts are -, odd bytes escaped; a refused request is "-"', () => {
  assert.equal(
    accessLogLine({ status: 400, bytes: 45, time, ms: 0.04 }),
    '- - - [07/Dec/2025:18:22:14 +0000] "-" 400 45 0.0ms',
  );
  const request = new Request('http://x/a"b\\c/%22');
  assert.equal(
    accessLogLine(
      { request, method: "GET", protocol: "HTTP/1.0", status: 499, bytes: 0, time, ms: 12 },
      'we"ird name',
    ),
    '- - we\\x22ird\\x20name [07/Dec/2025:18:22:14 +0000] "GET /a%22b/c/%22 HTTP/1.0" 499 0 12.0ms',
  );
});
