package configs

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadRule loads a plan whose only rule is "id: r", "title: R" and then
// the lines of body, from line 6 on, and returns the plan's problems.
func loadRule(t *testing.T, body string) []string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id: p\ntitle: P\nrules:\n  - id: r\n    title: R\n")
	for l := range strings.Lines(body) {
		b.WriteString("    " + l)
	}
	b.WriteString("\n")
	dir := write(t, map[string]string{"p.yaml": b.String()})
	_, err := LoadPlan(filepath.Join(dir, "p.yaml"))
	if err == nil {
		return nil
	}
	return problems(t, err, dir)
}

// TestRuleProblems checks each way a rule can be wrong, by the exact
// problem reported: a missing key at the rule (line 4), a wrong one at its
// own line.
func TestRuleProblems(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // the problems, without the "p.yaml: rules[0]." in front
	}{
		// What every kind needs.
		{"unknown kind", "kind: sprint\nquantity: pm2_5\nabove: 75", []string{
			`kind (line 6): "sprint" is not a rule kind; use threshold, window, period, rate, event, silence, stuck or range`}},
		{"unknown quantity", "quantity: pm25\nabove: 75", []string{
			`quantity (line 6): "pm25" is not a known quantity; use one of ` + quantityList()}},
		{"no quantity", "above: 75", []string{"quantity (line 4): required"}},
		{"a local alarm's event", "kind: event\nquantity: event_sump_high\ncategory: water", nil},
		{"a local alarm's event without a category", "kind: event\nquantity: event_sump_high", []string{
			"category (line 4): required for an agent's local alarm (event_sump_high): use dust, air, water, elevator or sensor"}},
		{"a local alarm's event in a threshold rule", "quantity: event_sump_high\nabove: 0\ncategory: water", []string{
			`quantity (line 6): "event_sump_high" is not a known quantity; use one of ` + quantityList()}},
		{"unknown category", "quantity: pm2_5\nabove: 75\ncategory: noise", []string{
			`category (line 8): "noise" is not a category; use one of dust, air, water, elevator, sensor`}},
		{"bad severity", "quantity: pm2_5\nabove: 75\nseverity: high", []string{
			`severity (line 8): "high" is not a severity; use info, warning or critical`}},
		{"bad office id", "quantity: pm2_5\nabove: 75\noffice: Roads", []string{
			`office (line 8): "Roads" is not a valid id; use 1 to 64 lower-case letters, digits or '-'`}},
		{"dates reversed", "quantity: pm2_5\nabove: 75\neffective_from: 2021-01-01\neffective_to: 2020-01-01", []string{
			"effective_to (line 9): 2020-01-01 is not after rules[0].effective_from (2021-01-01)"}},
		{"empty scope entry", "quantity: pm2_5\nabove: 75\nscope: {sites: [a, '']}", []string{
			"scope.sites[1] (line 8): empty"}},
		{"for too long", "quantity: pm2_5\nabove: 75\nfor: 200h", []string{
			"for (line 8): 200h is out of range; use 0s to 168h"}},

		// Limits: threshold, window, period and rate rules.
		{"missing limit", "quantity: pm2_5", []string{
			"above (line 4): threshold rules need a limit: above or below"}},
		{"missing limit on a rate rule", "kind: rate\nquantity: water_level\nwindow: 30m", []string{
			"above (line 4): rate rules need a limit: above or below"}},
		{"both above and below", "quantity: pm2_5\nabove: 75\nbelow: 10", []string{
			"below (line 8): a rule has one limit: above or below, not both"}},
		{"clear beyond an upper limit", "quantity: pm2_5\nabove: 75\nclear: 80", []string{
			"clear (line 8): 80 is above the limit (above: 75); an alert clears at or below it"}},
		{"clear beyond a lower limit", "quantity: water_level\nbelow: 1.5\nclear: 1", []string{
			"clear (line 8): 1 is below the limit (below: 1.5); an alert clears at or above it"}},
		{"limit not finite", "quantity: pm2_5\nabove: .inf", []string{
			"above (line 7): +Inf is not a finite number"}},
		{"clear not finite", "quantity: pm2_5\nbelow: 1\nclear: .nan", []string{
			"clear (line 8): NaN is not a finite number"}},

		// A field the kind does not read.
		{"window on a threshold rule", "quantity: pm2_5\nabove: 75\nwindow: 15m", []string{
			"window (line 8): not used by threshold rules"}},
		{"aggregate on a threshold rule", "quantity: pm2_5\nabove: 75\naggregate: mean", []string{
			"aggregate (line 8): not used by threshold rules"}},
		{"min_samples on a threshold rule", "quantity: pm2_5\nabove: 75\nmin_samples: 0", []string{
			"min_samples (line 8): not used by threshold rules"}},
		{"per on a window rule", "kind: window\nquantity: pm2_5\nwindow: 1h\nabove: 75\nper: 1h", []string{
			"per (line 10): not used by window rules"}},
		{"aggregate on a rate rule", "kind: rate\nquantity: water_level\nwindow: 30m\nabove: 0.3\naggregate: max", []string{
			"aggregate (line 10): not used by rate rules"}},
		{"allowed_per_day on a window rule", "kind: window\nquantity: pm2_5\nwindow: 1h\nabove: 75\nallowed_per_day: 1", []string{
			"allowed_per_day (line 10): not used by window rules"}},
		{"clear on a silence rule", "kind: silence\nquantity: water_level\nafter: 10m\nclear: 1", []string{
			"clear (line 9): not used by silence rules"}},
		{"limit on a range rule", "kind: range\nquantity: water_level\nmin: 0\nmax: 9\nabove: 8", []string{
			"above (line 10): not used by range rules"}},
		{"for on an event rule", "kind: event\nquantity: event_trapped\nfor: 1m", []string{
			"for (line 8): not used by event rules"}},
		{"tolerance on a threshold rule", "quantity: pm2_5\nabove: 75\ntolerance: 1", []string{
			"tolerance (line 8): not used by threshold rules"}},
		{"min on a stuck rule", "kind: stuck\nquantity: water_level\nfor: 6h\nmin: 0", []string{
			"min (line 9): not used by stuck rules"}},

		// Windows, periods and aggregates.
		{"window rule without a window", "kind: window\nquantity: pm2_5\nabove: 75", []string{
			"window (line 4): required for window rules"}},
		{"rate rule without a window", "kind: rate\nquantity: water_level\nabove: 0.3", []string{
			"window (line 4): required for rate rules"}},
		{"window too short", "kind: window\nquantity: pm2_5\nwindow: 10s\nabove: 75", []string{
			"window (line 8): 10s is out of range; use 1m to 24h"}},
		{"bad aggregate", "kind: window\nquantity: pm2_5\nwindow: 15m\nabove: 75\naggregate: median", []string{
			`aggregate (line 10): "median" is not an aggregate; use mean, max or min`}},
		{"min_samples zero", "kind: window\nquantity: pm2_5\nwindow: 15m\nabove: 75\nmin_samples: 0", []string{
			"min_samples (line 10): 0 must be at least 1"}},
		{"per of zero", "kind: rate\nquantity: water_level\nwindow: 30m\nabove: 0.3\nper: 0s", []string{
			"per (line 10): 0s is out of range; use 1s to 24h"}},
		{"period rule without a period", "kind: period\nquantity: pm10\nabove: 75", []string{
			"period (line 4): required for period rules; use 15m, 1h, day or year"}},
		{"period not dividing a day", "kind: period\nquantity: pm10\nperiod: 7m\nabove: 75", []string{
			"period (line 8): 7m does not divide a day into whole periods of a minute or more; use 15m, 1h, day or year"}},
		{"period shorter than a minute", "kind: period\nquantity: pm10\nperiod: 30s\nabove: 75", []string{
			"period (line 8): 30s does not divide a day into whole periods of a minute or more; use 15m, 1h, day or year"}},
		{"period longer than a day", "kind: period\nquantity: pm10\nperiod: 48h\nabove: 75", []string{
			"period (line 8): 48h does not divide a day into whole periods of a minute or more; use 15m, 1h, day or year"}},
		{"period not a period", "kind: period\nquantity: pm10\nperiod: fortnight\nabove: 75", []string{
			`period (line 8): want a period such as 15m, 1h, day or year, got "fortnight"`}},
		{"allowed_per_day on a year period", "kind: period\nquantity: pm2_5\nperiod: year\nabove: 32\nallowed_per_day: 1", []string{
			"allowed_per_day (line 10): counts periods within a day; a year period has none"}},
		{"allowed_per_day tolerating the whole day", "kind: period\nquantity: pm10\nperiod: day\nabove: 150\nallowed_per_day: 1", []string{
			"allowed_per_day (line 10): 1 would tolerate every period of the day (a day has 1 of 24h): the rule could never open"}},
		{"allowed_per_day tolerating every quarter hour", "kind: period\nquantity: pm10\nperiod: 15m\nabove: 75\nallowed_per_day: 96", []string{
			"allowed_per_day (line 10): 96 would tolerate every period of the day (a day has 96 of 15m): the rule could never open"}},
		{"allowed_per_day negative", "kind: period\nquantity: pm10\nperiod: 15m\nabove: 75\nallowed_per_day: -1", []string{
			"allowed_per_day (line 10): -1 must not be negative"}},

		// Events, silence, stuck and range rules.
		{"event rule on a measurement", "kind: event\nquantity: pm2_5", []string{
			`quantity (line 7): "pm2_5" is not an event; event rules watch event_* quantities`}},
		{"silence without after", "kind: silence\nquantity: water_level", []string{
			"after (line 4): required for silence rules"}},
		{"silence after too short", "kind: silence\nquantity: water_level\nafter: 30s", []string{
			"after (line 8): 30s is out of range; use 1m to 168h"}},
		{"stuck without for", "kind: stuck\nquantity: water_level\ntolerance: 0.01", []string{
			"for (line 4): required for stuck rules: how long a value must stay put"}},
		{"stuck with a negative tolerance", "kind: stuck\nquantity: water_level\nfor: 6h\ntolerance: -0.1", []string{
			"tolerance (line 9): -0.1 must not be negative"}},
		{"range without bounds", "kind: range\nquantity: water_level", []string{
			"min (line 4): required for range rules",
			"max (line 4): required for range rules"}},
		{"range min equal to max", "kind: range\nquantity: loop_current\nmin: 21\nmax: 21", []string{
			"max (line 9): 21 is not above min (21)"}},
		{"range min above max", "kind: range\nquantity: loop_current\nmin: 21\nmax: 3.6", []string{
			"max (line 9): 3.6 is not above min (21)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, w := range tt.want {
				want = append(want, "p.yaml: rules[0]."+w)
			}
			if got := loadRule(t, tt.body); !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestRulesOfEachKind checks that a minimal rule of each kind, with every
// field the kind reads, loads cleanly.
func TestRulesOfEachKind(t *testing.T) {
	for _, body := range []string{
		"quantity: pm2_5\nabove: 75\nclear: 70\nfor: 1m\nclear_for: 5m",
		"quantity: water_level\nbelow: 0.5\nclear: 0.6",
		"kind: window\nquantity: pm2_5\nwindow: 15m\nabove: 75\naggregate: max\nmin_samples: 3",
		"kind: period\nquantity: pm10\nperiod: 1h\nabove: 75\naggregate: min\nmin_samples: 30\nallowed_per_day: 23",
		"kind: period\nquantity: pm2_5\nperiod: 24h\nabove: 75",
		"kind: rate\nquantity: water_level\nwindow: 30m\nbelow: -0.5\nper: 1m\nmin_samples: 5",
		"kind: event\nquantity: event_overspeed\nseverity: warning",
		"kind: silence\nquantity: pm10\nafter: 168h\ncategory: sensor",
		"kind: stuck\nquantity: water_level\nfor: 6h\ntolerance: 0.001",
		"kind: range\nquantity: loop_current\nmin: 3.6\nmax: 21",
	} {
		if got := loadRule(t, body); got != nil {
			t.Errorf("%q:\n%s", body, strings.Join(got, "\n"))
		}
	}
}
