package configs

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written the way time.ParseDuration reads it
// ("100ms", "5s", "15m", "1h30m"). A bare number is rejected, because
// "interval: 5" does not say whether it means seconds or minutes.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as time.Duration does, without the zero units it
// appends: "15m" rather than "15m0s", "24h" rather than "24h0m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalYAML reads a duration string. Its errors are *yaml.TypeError so
// that the decoder carries on and reports the other problems too.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if v, err := time.ParseDuration(n.Value); err == nil && n.Value != "0" {
			*d = Duration(v)
			return nil
		}
	}
	return unmarshalError(n, "configs.Duration")
}

// MarshalYAML writes the duration as UnmarshalYAML reads it.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText lets JSON show the duration as YAML does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	*d = Duration(v)
	return nil
}

// unmarshalError reports that n cannot be decoded into the type named
// into, worded exactly as yaml.v3 words its own, so that the translator
// reads both alike.
func unmarshalError(n *yaml.Node, into string) error {
	tag, value := n.ShortTag(), ""
	if n.Kind == yaml.ScalarNode {
		value = n.Value
		if len(value) > 10 {
			value = value[:7] + "..."
		}
		value = " `" + value + "`"
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s%s into %s", n.Line, tag, value, into)}}
}
