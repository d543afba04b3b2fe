package sigfig

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRound(t *testing.T) {
	tests := []struct {
		name   string
		v      float64
		limits []float64
		want   string // String of the rounded value
	}{
		// A rate of rise against the Huangpu plan's 0.30 m/h.
		{"rate just above its limit", 0.304, []float64{0.3, 0.1}, "0.304"},
		{"rate of a mean, four figures", 0.30437, []float64{0.3, 0.1}, "0.3044"},
		{"rate that four figures would put on the limit", 0.30004, []float64{0.3, 0.1}, "0.30004"},
		{"rate that five figures would still put on the limit", 0.300004, []float64{0.3}, "0.300004"},
		{"rate below its clear edge by a hair", 0.09999, []float64{0.3, 0.1}, "0.09999"},
		{"rate back at four figures", 0.099996, []float64{0.3, 0.1}, "0.099996"},

		{"sub-unit concentration", 0.004, nil, "0.004"},
		{"sub-unit concentration, four figures", 0.0041234, []float64{0.005}, "0.004123"},
		{"tiny value", 1.23456e-9, nil, "0.000000001235"},
		{"PM mean", 80.126, []float64{75, 60}, "80.13"},
		{"PM mean in the hundreds", 312.456, []float64{250}, "312.5"},
		{"mean just above a whole limit", 75.00004, []float64{75}, "75.00004"},
		{"mean just below a whole limit", 74.99996, []float64{75}, "74.99996"},

		{"large count", 123456, nil, "123456"},
		{"large count with a fraction", 123456.78, []float64{100000}, "123457"},
		{"pressure keeps its pascals", 101325.4, []float64{101300}, "101325"},
		{"limit's decimals beyond four figures", 1234.5678, []float64{12.345}, "1234.568"},
		{"water level to the millimetre", 4.8049, []float64{4.8, 4.7}, "4.805"},

		{"negative temperature", -40.1234, []float64{-40, 85}, "-40.12"},
		{"negative rate", -31.5, []float64{-20, -5}, "-31.5"},
		{"small negative", -0.00123456, nil, "-0.001235"},
		{"negative on its limit by rounding", -20.00001, []float64{-20}, "-20.00001"},

		{"exact integer", 76, []float64{75}, "76"},
		{"exact integer of many digits", 21600, []float64{21600}, "21600"},
		{"zero", 0, []float64{-2}, "0"},
		{"negative zero", math.Copysign(0, -1), nil, "0"},

		{"equal to its limit", 75, []float64{75}, "75"},
		{"equal to a decimal limit", 0.3, []float64{0.3, 0.1}, "0.3"},
		{"equal to its clear edge", 4.7, []float64{4.8, 4.7}, "4.7"},

		{"carry to the next power of ten", 9.99996, nil, "10"},
		{"floating-point noise", 80.13000000000001, []float64{75}, "80.13"},
		{"sum with noise", 0.1 + 0.2, nil, "0.3"},
		{"NaN", math.NaN(), []float64{1}, "NaN"},
		{"infinity", math.Inf(-1), nil, "-Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(Round(tt.v, tt.limits...)); got != tt.want {
				t.Errorf("Round(%v, %v) = %s, want %s", tt.v, tt.limits, got, tt.want)
			}
		})
	}
}

// TestRoundKeepsSide checks, on values near their limits, that a rounded
// value stays on its side of every limit, equals one only when v does,
// and is within half a unit of its last kept decimal of v.
func TestRoundKeepsSide(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	limits := []float64{0.3, 4.8, 75, -20, 0.005, 101325.5, 21600}
	for range 100_000 {
		l := limits[rnd.IntN(len(limits))]
		// Within a few units of l's fourth figure and beyond, down to
		// far below it.
		v := l + (rnd.Float64()*2-1)*math.Abs(l)*math.Pow(10, -rnd.Float64()*12)
		r := Round(v, l)
		if cmp(r, l) != cmp(v, l) {
			t.Fatalf("Round(%v, %v) = %v: the value crossed or landed on its limit", v, l, r)
		}
		// r and v are binary: allow a few units in the last place of v.
		ulp := math.Nextafter(math.Abs(v), math.Inf(1)) - math.Abs(v)
		if d := decimals(r); math.Abs(r-v) > 0.5*math.Pow(10, -float64(d))+4*ulp {
			t.Fatalf("Round(%v, %v) = %v is further from v than half its last decimal", v, l, r)
		}
		if e := math.Abs(r-v) / math.Abs(v); e > 5e-4*(1+1e-9) {
			t.Fatalf("Round(%v, %v) = %v: relative error %g, beyond four figures", v, l, r, e)
		}
	}
}

func cmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestString(t *testing.T) {
	for v, want := range map[float64]string{
		80.13: "80.13", 0.004: "0.004", 1e21: "1000000000000000000000", 1e-7: "0.0000001",
		-40: "-40", math.Copysign(0, -1): "0", 4.80: "4.8",
	} {
		if got := String(v); got != want {
			t.Errorf("String(%v) = %q, want %q", v, got, want)
		}
	}
}
