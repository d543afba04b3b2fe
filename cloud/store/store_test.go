package store_test

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
)

func TestCeilMilli(t *testing.T) {
	base := time.UnixMilli(1772352000123)
	tests := []struct {
		t    time.Time
		want int64
	}{
		{base, 1772352000123},
		{base.Add(1), 1772352000124},
		{base.Add(-1), 1772352000123},
		{time.UnixMilli(-5).Add(-1), -5},
		{time.UnixMilli(-5).Add(1), -4},
	}
	for _, tc := range tests {
		if got := store.CeilMilli(tc.t); got != tc.want {
			t.Errorf("CeilMilli(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}
