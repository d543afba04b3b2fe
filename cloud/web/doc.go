// Package web is the collector's HTTP API for the offices and the
// dashboard. Every response is JSON (application/json; charset=utf-8):
//
//	GET /healthz                {"status":"ok"}, or 503 {"status":"unhealthy","error":"..."}
//	GET /api/v1/devices         [device...], by id
//	GET /api/v1/devices/{id}    device plus "aggregates_url"; 404 for an unknown id
//	GET /api/v1/readings        ?device=ID&from=RFC3339&to=RFC3339[&limit=N]
//	                            {"device","from","to","readings":[{"seq","sensor","quantity","value","unit","time","quality","flags"}]}
//	GET /api/v1/aggregates      ?device=ID[&from=RFC3339][&to=RFC3339][&limit=N]
//	                            {"device","from","to","aggregates":[{"sensor","quantity","unit","minute","count","min","max","mean"}]}
//	GET /api/v1/alerts          ?state=&active=&office=&device=&plan=&category=&severity=&from=&to=&limit=
//	                            {"alerts":[store.Alert...]}, newest opened first
//	GET /api/v1/alerts/{id}     store.Alert; 404 for an unknown id
//	POST /api/v1/alerts/{id}/ack      body {"by":"name"} or none ("api"); the alert after;
//	                                  409 when it is resolved
//	POST /api/v1/alerts/{id}/resolve  the same; resolving a resolved alert changes nothing
//	GET /api/v1/plans           {"plans":[plan...]}, as loaded (see planBody)
//	GET /api/v1/compliance      ?district=D[&year=Y] the report Opts.Compliance makes
//
// The alert filters: state is open, acknowledged or resolved; active=true
// (or false, no filter) selects the alerts not resolved; office matches
// an alert's office and every office it was escalated to; device, plan,
// category (dust, air, water, elevator, sensor) and severity (info,
// warning, critical) match exactly; from ≤ opened < to; limit is 1 to
// store.MaxLimit, absent for every alert. The alerts and compliance
// endpoints refuse parameters they do not know, so that a mistyped
// filter is not mistaken for none. year defaults to the current year in
// China Standard Time (Opts.Now) and is 2000 to 2100.
//
// A device is
//
//	{"id","last_seen","seq_high","missing":[{"first","last"}],"received","duplicates",
//	 "condensed","replayed","future_time",
//	 "incarnation","incarnations","previous_received","stale_incarnation",
//	 "online","state","state_since","state_reason","last_heartbeat"}
//
// The first group is the store's completeness (store.Device); last_seen is
// null for a device that has published a status or heartbeat but no batch.
// incarnation identifies the device's current outbox file, as a decimal
// string ("0" when unknown); seq_high, missing and received are about that
// file. incarnations counts the files the device has had (a swapped board,
// a reflashed card), previous_received the sequence numbers received from
// earlier ones, stale_incarnation those stored from an earlier one after a
// newer one started.
// The second is the registry's connection state (registry.Device): state
// is "online" or "offline", state_since is null when unknown, state_reason
// is "" when online and otherwise "last will", "disconnected cleanly",
// "heartbeat timeout" or "no status"; last_heartbeat is the device's
// latest heartbeat (telemetry.Heartbeat) or null. Devices known to either
// the store or the registry are listed.
//
// A reading's flags are a list of names ("clock_unsynced",
// "clock_corrected", "future_time"), [] when none. Aggregates are the
// per-minute summaries of readings a device condensed when its disk ran
// short, selected by minute; an absent from or to leaves that end open.
//
// Times are RFC 3339 in UTC with as many fractional digits as they need
// (the compliance report keeps its own, in China Standard Time).
// Lists are [] rather than null when empty. Readings are the half-open
// range from ≤ time < to, ordered by time and then seq; aggregates are
// ordered by minute; limit is 1 to store.MaxLimit and defaults to
// store.DefaultLimit.
//
// Bad input is 400 {"error":"..."} naming the parameter (or "body", or
// "by") and the problem; an unknown path, device or alert is 404, a
// method other than the endpoint's (GET and HEAD, or POST) is 405, an
// ack or resolve body over 4 KiB is 413, and the alert and compliance
// endpoints answer 503 when the collector gave no Lifecycle or
// Compliance, all with an "error" body. A failing store is 500 with a generic
// message; the detail goes to Opts.Logger, never to the client.
package web
