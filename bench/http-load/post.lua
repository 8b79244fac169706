-- wrk: register a synthetic child (POST /api/v1/cases); each request differs
-- in its given name. Prints one RESULT line when done.
local counter = 0
local thread_tag = tostring({}):sub(8)
-- The API token and the declared purpose, on every request.
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. assert(os.getenv("TOKEN"), "TOKEN is not set"),
  ["Kinlink-Purpose"] = "case_management",
}

function request()
  counter = counter + 1
  local body = string.format(
    '{"child": {"names": {"given": {"original": "Loadtest%s%d"}, "family": {"original": "Synthetic"}},'
      .. ' "sex": "female", "date_of_birth": {"value": "2013-07"}, "country_of_origin": "SO",'
      .. ' "languages": ["so"]}, "accompaniment": "unaccompanied"}',
    thread_tag, counter)
  return wrk.format("POST", "/api/v1/cases", headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), errors))
end
