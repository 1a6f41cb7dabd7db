-- wrk script: GET /api/v1/jobs/{id} over random ids read from $IDS_FILE.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  if #line > 0 then ids[#ids + 1] = line end
end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/jobs/" .. ids[math.random(#ids)], {Authorization = "Bearer " .. os.getenv("TYTO_BENCH_KEY")})
end
