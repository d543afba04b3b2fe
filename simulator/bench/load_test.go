package bench

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/sink"
)

func TestLeastSquares(t *testing.T) {
	tests := []struct {
		name   string
		xs, ys []float64
		want   float64
	}{
		{"flat", []float64{0, 1, 2, 3}, []float64{5, 5, 5, 5}, 0},
		{"exact line", []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}, 2},
		{"noise around a fall", []float64{0, 1, 2, 3}, []float64{10, 9, 7, 7}, -1.1},
		{"one point", []float64{1}, []float64{4}, 0},
		{"one x", []float64{2, 2}, []float64{1, 3}, 0},
	}
	for _, tt := range tests {
		if got := leastSquares(tt.xs, tt.ys); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("%s: slope = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = float64(200 - i) // 200 down to 1
	}
	for _, tt := range []struct{ q, want float64 }{{0.5, 100}, {0.99, 198}, {1, 200}, {0.001, 1}} {
		if got := quantile(xs, tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if xs[0] != 200 {
		t.Error("quantile sorted its argument")
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile(nil) = %v, want 0", got)
	}
}

// TestOpened posts what the notifier posts and checks that only each
// device's first alert.opened is kept, with its receipt and opening times.
func TestOpened(t *testing.T) {
	s, err := sink.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opened0 := time.Date(2026, 11, 21, 8, 0, 0, 123_000_000, time.UTC)
	post := func(event, device string, at time.Time) {
		body, _ := json.Marshal(map[string]any{"key": device + event, "event": event,
			"alert": map[string]any{"device": device, "opened": at}})
		resp, err := http.Post(s.URL(), "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("alert.opened", "d1", opened0)
	post("alert.resolved", "d2", opened0)
	post("alert.opened", "d1", opened0.Add(time.Hour))
	post("alert.opened", "d3", opened0.Add(time.Second))
	got := opened(s)
	if len(got) != 2 {
		t.Fatalf("opened = %v, want d1 and d3", got)
	}
	rec := s.Received()
	if !got["d1"].opened.Equal(opened0) || !got["d1"].at.Equal(rec[0].At) {
		t.Errorf("d1: %+v, want opened %v received %v", got["d1"], opened0, rec[0].At)
	}
	if !got["d3"].opened.Equal(opened0.Add(time.Second)) || !got["d3"].at.Equal(rec[3].At) {
		t.Errorf("d3: %+v, want opened %v received %v", got["d3"], opened0.Add(time.Second), rec[3].At)
	}
}
