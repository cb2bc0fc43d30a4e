-- wrk script: one Elec2 row (data row 0 of examples/elec2/electricity.csv.gz) as a KServe v1
-- single-row prediction. nginx gets the same POST, so both sides read the same bytes.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [[2, 0, 0.056443, 0.439155, 0.003467, 0.422915, 0.414912]]}'
