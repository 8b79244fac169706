-- wrk: GET a random path from the file named by PATHS (one path a line),
-- read by each thread at start. Prints one RESULT line when done.
local paths = {}
-- The API token and the declared purpose, on every request.
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("TOKEN"), "TOKEN is not set")
wrk.headers["Kinlink-Purpose"] = "case_management"

function init(args)
  local file = assert(io.open(os.getenv("PATHS"), "r"))
  for line in file:lines() do
    paths[#paths + 1] = line
  end
  file:close()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), errors))
end
