package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// AgentBinarySizes cross-compiles the stripped agent for the boards it
// runs on and compares each size with the 10 MB goal.
func AgentBinarySizes(dir string) ([]Row, error) {
	targets := []struct{ name, goarch, goarm string }{
		{"linux/arm64", "arm64", ""},
		{"linux/arm GOARM=6 (Pi Zero)", "arm", "6"},
	}
	const limit = 10e6
	var rows []Row
	for _, tg := range targets {
		out := filepath.Join(dir, "xiuhua-agent-"+tg.goarch+tg.goarm)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./agent/cmd/xiuhua-agent")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+tg.goarch, "CGO_ENABLED=0")
		if tg.goarm != "" {
			cmd.Env = append(cmd.Env, "GOARM="+tg.goarm)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build agent for %s: %v\n%s", tg.name, err, b)
		}
		fi, err := os.Stat(out)
		if err != nil {
			return nil, err
		}
		mb := float64(fi.Size()) / 1e6
		rows = append(rows, Row{Measure: "agent binary, stripped, " + tg.name, Value: mb, Unit: "MB",
			Peer: "limit 10 MB", Ratio: float64(fi.Size()) / limit, Goal: "≤ 1.00", OK: float64(fi.Size()) <= limit})
	}
	return rows, nil
}
