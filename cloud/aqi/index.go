package aqi

import (
	"fmt"
	"math"
	"slices"

	"github.com/xiuhua/xiuhua/telemetry"
)

// tolerance is how far above an integer an interpolated index may fall and
// still count as that integer when rounding up. Decimal concentrations are
// not exact in binary: 4.9 µg/m³ of PM2.5 under HJ 633-2012 is exactly 7,
// but the float arithmetic gives 7.000000000000001, which a bare math.Ceil
// would report as 8. 1e-9 of an index point is far below any
// concentration a sensor resolves (it is about 1e-9 µg/m³), so it only
// absorbs rounding error.
const tolerance = 1e-9

// ceil rounds x up to an integer, as HJ 633 requires, forgiving float
// error within tolerance.
func ceil(x float64) int {
	if r := math.Round(x); math.Abs(x-r) <= tolerance {
		return int(r)
	}
	return int(math.Ceil(x))
}

// IAQI returns the individual index of pollutant q at concentration conc
// (its daily mean, in the unit of its breakpoints): the linear
// interpolation
//
//	IAQI = (IAQIhi − IAQIlo) / (BPhi − BPlo) · (C − BPlo) + IAQIlo
//
// between the breakpoints around conc, rounded up to an integer. A
// concentration on a breakpoint gives that breakpoint's index exactly. One
// above the last breakpoint is beyond the table: the index is the last
// breakpoint's (500 in HJ 633) and beyond is true.
func (t *Table) IAQI(q telemetry.Quantity, conc float64) (iaqi int, beyond bool, err error) {
	bps, ok := t.Pollutants[q]
	if !ok || len(bps) == 0 {
		return 0, false, fmt.Errorf("%w: %s in %q", ErrPollutant, q, t.Name)
	}
	if !finite(conc) || conc < 0 {
		return 0, false, fmt.Errorf("%w: %s %v", ErrConcentration, q, conc)
	}
	top := bps[len(bps)-1]
	switch {
	case conc > top.Conc:
		return ceil(top.IAQI), true, nil
	case conc == top.Conc:
		return ceil(top.IAQI), false, nil
	}
	// The segment [lo, hi) holding conc: on a breakpoint, C − BPlo is 0 and
	// the index is IAQIlo with no arithmetic error.
	i, _ := slices.BinarySearchFunc(bps, conc, func(b Breakpoint, c float64) int {
		if b.Conc <= c {
			return -1
		}
		return 1
	})
	if i == 0 || i == len(bps) {
		// Only a table that fails Validate gets here.
		return 0, false, fmt.Errorf("%w %q: %s breakpoints do not start at 0 or are not ascending", ErrInvalidTable, t.Name, q)
	}
	lo, hi := bps[i-1], bps[i]
	return ceil((hi.IAQI-lo.IAQI)*(conc-lo.Conc)/(hi.Conc-lo.Conc) + lo.IAQI), false, nil
}

// Sub is one pollutant's part of an AQI.
type Sub struct {
	Quantity telemetry.Quantity `json:"quantity"`
	Conc     float64            `json:"conc"` // the daily mean given
	IAQI     int                `json:"iaqi"`
	Beyond   bool               `json:"beyond,omitempty"` // Conc is above the table's last breakpoint
}

// Index is the AQI of one day.
type Index struct {
	Table    string   `json:"table"` // the Name of the table used
	AQI      int      `json:"aqi"`   // the largest IAQI
	Category Category `json:"category"`
	// Primary lists the pollutants whose IAQI is the AQI, by name. HJ 633
	// names a primary pollutant only when the AQI is above 50: it is
	// empty (not nil) otherwise.
	Primary []telemetry.Quantity `json:"primary"`
	Subs    []Sub                `json:"subs"` // one per pollutant, by name
}

// Beyond tells whether a pollutant's concentration was above its table.
func (x Index) Beyond() bool {
	return slices.ContainsFunc(x.Subs, func(s Sub) bool { return s.Beyond })
}

// primaryAbove is the AQI above which HJ 633 names a primary pollutant:
// the top of category 1 (优).
const primaryAbove = 50

// DailyAQI returns the AQI of one day from the daily means of its
// pollutants (µg/m³ for particulates) under table t: every pollutant's
// IAQI, the largest as the AQI, the primary pollutant(s) and the category.
// A pollutant t has no breakpoints for, or a bad concentration, is an
// error: an AQI silently computed without it would understate.
func DailyAQI(t *Table, means map[telemetry.Quantity]float64) (Index, error) {
	if len(means) == 0 {
		return Index{}, ErrNoPollutants
	}
	x := Index{Table: t.Name, Primary: []telemetry.Quantity{}}
	for _, q := range sortedKeys(means) {
		iaqi, beyond, err := t.IAQI(q, means[q])
		if err != nil {
			return Index{}, err
		}
		x.Subs = append(x.Subs, Sub{Quantity: q, Conc: means[q], IAQI: iaqi, Beyond: beyond})
		x.AQI = max(x.AQI, iaqi)
	}
	if x.AQI > primaryAbove {
		for _, s := range x.Subs {
			if s.IAQI == x.AQI {
				x.Primary = append(x.Primary, s.Quantity)
			}
		}
	}
	x.Category = CategoryOf(x.AQI)
	return x, nil
}

// Category is HJ 633's air-quality level (空气质量指数级别), 1 to 6. The
// bands are those of the AQI scale itself (the IAQI column shared by
// every pollutant), not of a pollutant's breakpoints.
type Category int

// Categories, from the best.
const (
	Excellent          Category = 1 + iota // 一级 优, AQI 0–50
	Good                                   // 二级 良, 51–100
	LightlyPolluted                        // 三级 轻度污染, 101–150
	ModeratelyPolluted                     // 四级 中度污染, 151–200
	HeavilyPolluted                        // 五级 重度污染, 201–300
	SeverelyPolluted                       // 六级 严重污染, above 300
)

var categories = [...]struct {
	top                 int // highest AQI of the category
	english, zh, colour string
}{
	Excellent:          {50, "Excellent", "优", "green"},
	Good:               {100, "Good", "良", "yellow"},
	LightlyPolluted:    {150, "Lightly polluted", "轻度污染", "orange"},
	ModeratelyPolluted: {200, "Moderately polluted", "中度污染", "red"},
	HeavilyPolluted:    {300, "Heavily polluted", "重度污染", "purple"},
	SeverelyPolluted:   {math.MaxInt, "Severely polluted", "严重污染", "maroon"},
}

// CategoryOf returns the category of an AQI.
func CategoryOf(aqi int) Category {
	for c := Excellent; c < SeverelyPolluted; c++ {
		if aqi <= categories[c].top {
			return c
		}
	}
	return SeverelyPolluted
}

func (c Category) valid() bool { return c >= Excellent && c <= SeverelyPolluted }

// English is the category's English name as HJ 633 gives it
// ("Lightly polluted"), or "" for an invalid category.
func (c Category) English() string {
	if !c.valid() {
		return ""
	}
	return categories[c].english
}

// Chinese is the category's Chinese name (轻度污染), or "".
func (c Category) Chinese() string {
	if !c.valid() {
		return ""
	}
	return categories[c].zh
}

// Colour is the category's colour in HJ 633 (green to maroon), or "".
func (c Category) Colour() string {
	if !c.valid() {
		return ""
	}
	return categories[c].colour
}

func (c Category) String() string {
	if !c.valid() {
		return fmt.Sprintf("Category(%d)", int(c))
	}
	return categories[c].english
}
