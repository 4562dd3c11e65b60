-- wrk script for the token read bench: every request of a thread is built once in init()
-- (path rotated over the file's paths, one Authorization header), so request() only
-- hands back a prepared string. done() prints one JSON line for bench/wrk.ts.
-- Usage: wrk -s bench/rotate.lua URL -- <paths file> [<bearer credential>]
local requests = {}
local next_request = 0

function init(args)
  local headers = {}
  if args[2] ~= nil and args[2] ~= "" then
    headers["Authorization"] = "Bearer " .. args[2]
  end
  for path in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  -- Threads start at different offsets, so they do not read the same connections in step.
  next_request = math.random(#requests) - 1
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
