-- wrk script for bench/pages.py: rotates over the requests in a Lua data file (the first argument after the
-- URL), each with its own path, method, session cookie and body, and counts the answers by kind, since wrk
-- itself counts a redirect as a success and a page that sends a signed-out person to the sign-in page
-- answers with a redirect. Without a data file it sends wrk's own request (the URL given): the ceiling.
--
--   wrk -t1 -c50 -d20s -s bench/pages.lua http://127.0.0.1:8000/ /path/to/requests.lua
--
-- The data file returns a list of {method=, path=, headers={...}, body=} tables, written by bench/pages.py.
-- At the end one line "RESULT {json}" on standard output.

local requests = {}
local count = 0
local next_index = 0

-- Answers, counted in the thread's Lua state (numbers: what thread:get copies back for done()).
ok = 0 -- 2xx
written = 0 -- a POST's redirect back to its transfer page
signed_out = 0 -- a redirect to the sign-in page: the session was not accepted
other_redirects = 0
client_errors = 0 -- 4xx
server_errors = 0 -- 5xx

function init(args)
  if args[1] ~= nil then
    for _, r in ipairs(dofile(args[1])) do
      count = count + 1
      requests[count] = wrk.format(r.method, r.path, r.headers, r.body)
    end
  end
  if count == 0 then
    count = 1
    requests[1] = wrk.format()
  end
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

local function location(headers)
  for name, value in pairs(headers) do
    if string.lower(name) == "location" then
      return value
    end
  end
  return ""
end

function response(status, headers, body)
  if status < 300 then
    ok = ok + 1
  elseif status < 400 then
    local where = location(headers)
    if string.find(where, "/sign-in/", 1, true) then
      signed_out = signed_out + 1
    elseif string.find(where, "/transfers/", 1, true) then
      written = written + 1
    else
      other_redirects = other_redirects + 1
    end
  elseif status < 500 then
    client_errors = client_errors + 1
  else
    server_errors = server_errors + 1
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- wrk counts an answer slower than its --timeout as a "timeout" and leaves it out of its latency histogram:
-- the percentiles here are over every answer, those included (-1: the percentile is past the timeout).
local function over_all(summary, latency, q)
  local recorded = summary.requests - summary.errors.timeout
  if recorded <= 0 then
    return -1
  end
  local at = q * summary.requests / recorded
  if at > 100 then
    return -1
  end
  return latency:percentile(at) / 1000
end

function done(summary, latency, _)
  local answers = { "ok", "written", "signed_out", "other_redirects", "client_errors", "server_errors" }
  local totals = {}
  for _, name in ipairs(answers) do
    totals[name] = 0
    for _, thread in ipairs(threads) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, "p95_ms": %f, "p99_ms": %f, "max_ms": %f, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, "ok": %d, "written": %d, '
      .. '"signed_out": %d, "other_redirects": %d, "client_errors": %d, "server_errors": %d}\n',
    summary.requests, summary.duration / 1e6,
    over_all(summary, latency, 50), over_all(summary, latency, 95), over_all(summary, latency, 99),
    latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, e.status,
    totals.ok, totals.written, totals.signed_out, totals.other_redirects, totals.client_errors,
    totals.server_errors))
end
