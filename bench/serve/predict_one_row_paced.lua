-- wrk script: the request of predict_one_row.lua, each connection pausing 1 ms between its
-- requests, so that 64 connections offer a fixed load below saturation (about 64 / (1 ms +
-- the response time) requests a second) and the latency percentiles are those of that load,
-- not of a queue at saturation. Used by serve_p99.sh.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [[2, 0, 0.056443, 0.439155, 0.003467, 0.422915, 0.414912]]}'

function delay()
  return 1
end
