package configs

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestConfigurationDoc keeps docs/configuration.md true: every key of the
// agent and collector configs has a row there, and every row names a key
// that exists.
func TestConfigurationDoc(t *testing.T) {
	data, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	docKeys(reflect.TypeFor[Agent](), "", &keys)
	docKeys(reflect.TypeFor[Collector](), "", &keys)
	if len(keys) < 90 {
		t.Fatalf("found only %d keys; the walk is broken", len(keys))
	}
	rows := map[string]bool{}
	defaults := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| [^|]+ \\| ([^|]+) \\|")
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		rows[m[1]] = true
		defaults[m[1]] = strings.Trim(strings.TrimSpace(m[2]), "`")
	}
	// The defaults the code holds as constants must read the same here.
	for k, want := range map[string]string{
		"sensors[].interval":        Duration(DefaultInterval).String(),
		"sensors[].serial.baud":     strconv.Itoa(DefaultBaud),
		"outbox.budget_mb":          strconv.Itoa(DefaultBudgetMB),
		"uplink.batch_max":          strconv.Itoa(DefaultBatchMax),
		"uplink.ack_timeout":        Duration(DefaultAckTimeout).String(),
		"uplink.max_in_flight":      strconv.Itoa(DefaultMaxInFlight),
		"uplink.heartbeat":          Duration(DefaultHeartbeat).String(),
		"clock.sync_wait":           Duration(DefaultSyncWait).String(),
		"mqtt.client_id":            DefaultCollectorClientID,
		"http.listen":               DefaultListen,
		"store.backend":             BackendBolt,
		"alerts.flap_opens":         strconv.Itoa(DefaultFlapOpens),
		"alerts.flap_window":        Duration(DefaultFlapWindow).String(),
		"notify.channels[].type":    ChannelWebhook,
		"notify.channels[].timeout": Duration(DefaultChannelTimeout).String(),
	} {
		if got := defaults[k]; got != want {
			t.Errorf("docs/configuration.md gives `%s` the default %q; the code's is %q", k, got, want)
		}
	}
	for _, k := range keys {
		if !rows[k] {
			t.Errorf("docs/configuration.md has no row for `%s`", k)
		}
	}
	for r := range rows {
		if !slices.Contains(keys, r) {
			t.Errorf("docs/configuration.md has a row for `%s`, which is not a key of either config", r)
		}
	}
}

// docKeys lists the keys under type t as the doc writes them: a.b for
// mappings, a[].b for list items, a.<name> for a map's keys of free choice.
// A struct or list is itself a key too, except at the top.
func docKeys(t reflect.Type, prefix string, keys *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == durationType {
			return
		}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			// A mapping or a list of mappings is a key of its own; the
			// top-level blocks (device, uplink) are headings instead.
			if prefix != "" || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map || ft.Kind() != reflect.Struct {
				*keys = append(*keys, p)
			}
			docKeys(ft, p, keys)
		}
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct || e.Kind() == reflect.Pointer {
			docKeys(e, prefix+"[]", keys)
		}
	case reflect.Map:
		k := "<name>"
		switch {
		case strings.HasSuffix(prefix, "calibration"):
			k = "<quantity>"
		case strings.HasSuffix(prefix, "pins"):
			k = "<role>"
		}
		p := prefix + "." + k
		*keys = append(*keys, p)
		docKeys(t.Elem(), p, keys)
	}
}
