package edge

import (
	"fmt"
	"math"
	"sort"
)

// landings maps heights above the ground landing to landing numbers.
type landings struct {
	storey  float64   // uniform storey height, used when heights is nil
	ground  int       // number of the landing at height 0 in the uniform case
	heights []float64 // ascending
	numbers []int     // ascending, one per height
}

func newLandings(o *Opts) (landings, error) {
	l := landings{storey: o.StoreyHeight, ground: o.GroundFloor}
	if len(o.FloorHeights) == 0 {
		if len(o.FloorNumbers) != 0 {
			return l, fmt.Errorf("edge: Opts.FloorNumbers needs FloorHeights")
		}
		return l, nil
	}
	zero := -1
	for i, h := range o.FloorHeights {
		switch {
		case math.IsNaN(h) || math.IsInf(h, 0):
			return l, fmt.Errorf("edge: Opts.FloorHeights[%d] must be finite, got %v", i, h)
		case i > 0 && h <= o.FloorHeights[i-1]:
			return l, fmt.Errorf("edge: Opts.FloorHeights must ascend, but [%d] = %v follows %v", i, h, o.FloorHeights[i-1])
		case h == 0:
			zero = i
		}
	}
	numbers := o.FloorNumbers
	switch {
	case numbers == nil && zero < 0:
		return l, fmt.Errorf("edge: Opts.FloorHeights has no landing at height 0; list FloorNumbers to number the landings")
	case numbers == nil:
		numbers = make([]int, len(o.FloorHeights))
		for i := range numbers {
			numbers[i] = o.GroundFloor + i - zero
		}
	case len(numbers) != len(o.FloorHeights):
		return l, fmt.Errorf("edge: Opts.FloorNumbers has %d entries for %d FloorHeights", len(numbers), len(o.FloorHeights))
	}
	for i := 1; i < len(numbers); i++ {
		if numbers[i] <= numbers[i-1] {
			return l, fmt.Errorf("edge: Opts.FloorNumbers must ascend, but [%d] = %d follows %d", i, numbers[i], numbers[i-1])
		}
	}
	l.heights, l.numbers = o.FloorHeights, numbers
	return l, nil
}

// nearest returns the number and height of the landing nearest to h. The
// cost is bounded by the building (a binary search over its landings).
func (l *landings) nearest(h float64) (number int, at float64) {
	if l.heights == nil {
		// Clamp so that a wild height cannot overflow the conversion.
		k := math.Max(-1e6, math.Min(1e6, math.Round(h/l.storey)))
		return l.ground + int(k), k * l.storey
	}
	i := sort.SearchFloat64s(l.heights, h)
	if i == len(l.heights) || (i > 0 && h-l.heights[i-1] < l.heights[i]-h) {
		i--
	}
	return l.numbers[i], l.heights[i]
}

// rezero snaps the held height to the nearest landing when the car rests
// with its door open close enough to one. A car stands at a landing when
// its door opens, so this removes what trips have accumulated: weather
// during trips, the error of the pressure-to-height scale, filter lag.
func (d *Detector) rezero() {
	if d.m.trip || d.door != doorOpen {
		return
	}
	if _, at := d.land.nearest(d.m.h); math.Abs(d.m.h-at) <= d.o.LandingTolerance {
		d.m.h = at
	}
}
