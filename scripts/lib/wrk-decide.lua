-- wrk script of scripts/bench-gateway: POST /v1/decisions on the web channel for a random customer
-- of u1 … uN (BENCH_CUSTOMERS), as offerloop-loadtest decides; at the end, one JSON line of the
-- latency percentiles (µs), the rate and the errors.
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "100000")
local key = os.getenv("BENCH_API_KEY")
-- Each connection waits this long between its requests (wrk's delay()): 64 connections at a
-- delay of 64 ms make about 1,000 requests/s. 0: as fast as the answers come (closed loop).
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function delay()
  return pause
end

function request()
  return wrk.format(nil, nil, nil, string.format('{"identity":{"kind":"login","value":"u%d"},"channel":"WEB"}', math.random(customers)))
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "seconds": %.3f, "rate": %.1f, "p50": %d, "p90": %d, "p99": %d, "p99.9": %d, "max": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
