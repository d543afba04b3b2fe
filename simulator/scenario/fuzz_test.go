package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
)

// FuzzParse feeds Parse arbitrary files: it must never panic, must
// return either a scenario or a *configs.Error, and a scenario it accepts
// must be playable (its elevator's trips laid out, its world defined at
// every instant).
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"scenarios", "testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("kind: elevator\nid: l\nelevator: {trips: [{at: 1s, to: 2, halt_m: 1, rescue: 1s}]}\nsensors: [{name: d, chip: door, pin: GPIO4}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			var ce *configs.Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("Parse error %v is not a *configs.Error with problems", err)
			}
			return
		}
		if s.Compression <= 0 || len(s.Sensors) == 0 {
			t.Fatalf("accepted %+v", s)
		}
		for _, at := range []time.Duration{0, time.Second, time.Hour} {
			switch s.Kind {
			case KindRiver:
				s.River.Level(at)
				s.River.Rainfall(at)
			case KindDust:
				s.Dust.PM(time.Unix(0, 0).Add(at))
			case KindElevator:
				if err := s.Elevator.Check(); err != nil {
					t.Fatalf("accepted an elevator whose trips cannot be made: %v", err)
				}
				s.Elevator.State(at)
			}
		}
	})
}
