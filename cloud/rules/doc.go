// Package rules checks readings against a plan's thresholds and reports
// when a stream crosses one.
//
// Rules are evaluated on event time (the reading's own timestamp), per
// stream (device, sensor, quantity). A window rule keeps the readings of
// the trailing window (t−W, t] with a running sum, so each reading costs
// O(1) amortised work; the window opens an alert when its mean rises above
// the rule's limit and clears it when the mean falls to ClearBelow or
// lower (hysteresis).
//
// Readings that arrive out of order inside the window are placed by time;
// readings older than the window's start are counted as late and not
// evaluated (retrospective evaluation of a replayed backlog comes with the
// full rule engine).
package rules
