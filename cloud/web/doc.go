// Package web is the collector's HTTP API for the offices and the
// dashboard. Every response is JSON (application/json; charset=utf-8):
//
//	GET /healthz            {"status":"ok"}, or 503 {"status":"unhealthy","error":"..."}
//	GET /api/v1/devices     [{"id","last_seen","seq_high","missing":[{"first","last"}],"received","duplicates"}]
//	GET /api/v1/readings    ?device=ID&from=RFC3339&to=RFC3339[&limit=N]
//	                        {"device","from","to","readings":[{"seq","sensor","quantity","value","unit","time","quality"}]}
//	GET /api/v1/alerts      {"alerts":[store.Alert...]}, newest opened first
//
// Times are RFC 3339 in UTC with as many fractional digits as they need.
// Lists are [] rather than null when empty. Readings are the half-open
// range from ≤ time < to, ordered by time and then seq; limit is 1 to
// store.MaxLimit and defaults to store.DefaultLimit.
//
// Bad input is 400 {"error":"..."} naming the parameter and the problem; an
// unknown path is 404 and a method other than GET or HEAD is 405, both with
// an "error" body. A failing store is 500 with a generic message; the
// detail goes to Opts.Logger, never to the client.
package web
