package configapply

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/configs"
)

// MaxConfigBytes bounds a config received over MQTT. The largest example
// config is a few KiB; a payload this size is a mistake, not a config.
const MaxConfigBytes = 256 << 10

// maxProblems is how many of an invalid config's problems an answer lists.
const maxProblems = 5

// check decides whether data may be tried: it returns the config and its
// pipeline, built but not started, or why data is rejected. Nothing here
// touches the running config.
func (m *Manager) check(data []byte, running *configs.Agent) (*configs.Agent, *agent.Agent, string) {
	if len(data) > MaxConfigBytes {
		return nil, nil, fmt.Sprintf("config is %d bytes; a device takes at most %d", len(data), MaxConfigBytes)
	}
	if m.o.Trust != nil {
		if _, _, err := configs.Verify(data, m.o.Trust); err != nil {
			return nil, nil, strings.TrimPrefix(err.Error(), "configs: ")
		}
	}
	// Named as slot B, beside slot A: a relative outbox path resolves
	// against the same directory as the running config's.
	cfg, err := configs.ParseAgent(m.pathB, data)
	if err != nil {
		return nil, nil, problems(err)
	}
	if cfg.Device.ID != running.Device.ID {
		return nil, nil, fmt.Sprintf("config is for device %q; this device is %q", cfg.Device.ID, running.Device.ID)
	}
	if filepath.Clean(cfg.Outbox.Path) != filepath.Clean(running.Outbox.Path) {
		return nil, nil, fmt.Sprintf("outbox.path %s is not the running %s: the readings waiting there would be orphaned",
			cfg.Outbox.Path, running.Outbox.Path)
	}
	a, err := m.newAgent(cfg)
	if err != nil {
		return nil, nil, strings.TrimPrefix(err.Error(), "agent: ")
	}
	return cfg, a, ""
}

// problems lists the first few problems of an invalid config, one per
// line, without the file name: the engineer knows which config was sent.
func problems(err error) string {
	var ce *configs.Error
	if !errors.As(err, &ce) {
		return "config cannot be read: " + strings.TrimPrefix(err.Error(), "configs: ")
	}
	var b strings.Builder
	b.WriteString("config is not valid:")
	for i, p := range ce.Problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n(and %d more)", len(ce.Problems)-maxProblems)
			break
		}
		p.File = ""
		b.WriteString("\n" + p.String())
	}
	return b.String()
}
