-- wrk script: POST /api/v1/jobs, one builtin.noop job per request (the single-submission path that group
-- commit serves). Prints how many answers each status got.
wrk.method = "POST"
wrk.path = "/api/v1/jobs"
wrk.body = '{"pipeline":"builtin.noop","input":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TYTO_BENCH_KEY")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d: %d\n", status, n)) end
end
