-- Shared by the wrk scripts of bench/lua (dofile). One connection per wrk thread (wrk -t N -c N),
-- so each thread is one client: line <thread number> (from 0) of the data file named by the
-- script's first argument holds its token and, for the follow, its targets.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function client_words(path)
  local n = 0
  for line in io.lines(path) do
    if n == id then
      local words = {}
      for word in line:gmatch("%S+") do words[#words + 1] = word end
      return words
    end
    n = n + 1
  end
  error("no line " .. id .. " in " .. path)
end

function bearer(token)
  return { Authorization = "Bearer " .. token }
end

-- An answer other than the one expected is counted (wrk counts only status >= 400), the first kept.
unexpected = 0
first_unexpected = ""

function expect(status, wanted, what)
  if status ~= wanted then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = what .. " answered " .. status
    end
  end
end

-- One JSON line for bench/wrk.py: counts, socket errors and latency percentiles (µs).
function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if first == "" then first = thread:get("first_unexpected") end
  end
  local e = summary.errors
  io.write(string.format(
    'RR_WRK {"requests": %d, "duration_us": %d, "unexpected": %d, "first_unexpected": "%s", ' ..
    '"socket_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, bad, first,
    e.connect + e.read + e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
