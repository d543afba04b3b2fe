package compliance

import (
	"cmp"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// water counts, per station and level, the hours of [from, to) whose
// rollup Max is above the level. Any reading counts: an exceedance is a
// fact however few minutes the gauge covered (the 45-minute rule is for
// means).
func water(stations []WaterStation, rs []store.Rollup, from, to time.Time) []Water {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b store.Rollup) int {
		return cmp.Or(a.Hour.Compare(b.Hour), cmp.Compare(a.Device, b.Device), cmp.Compare(a.Sensor, b.Sensor))
	})
	out := make([]Water, len(stations))
	for i, s := range stations {
		w := Water{Site: s.Site, Devices: slices.Clone(s.Devices), Levels: make([]Exceedance, len(s.Levels))}
		for j, l := range s.Levels {
			w.Levels[j] = Exceedance{Name: l.Name, Above: l.Above}
		}
		var seen time.Time // the last hour counted in w.Hours
		for _, r := range rs {
			if r.Count == 0 || !finite(r.Max) || r.Hour.Before(from) || !r.Hour.Before(to) || !slices.Contains(s.Devices, r.Device) {
				continue
			}
			hour := r.Hour.In(aqi.CST)
			if !hour.Equal(seen) || w.Hours == 0 {
				w.Hours++
				seen = hour
			}
			if w.Peak == nil || r.Max > *w.Peak {
				w.Peak, w.PeakHour = &r.Max, &hour
			}
			for j := range w.Levels {
				e := &w.Levels[j]
				if r.Max <= e.Above || (e.Last != nil && e.Last.Equal(hour)) {
					continue
				}
				e.Hours++
				if e.First == nil {
					e.First = &hour
				}
				e.Last = &hour
			}
		}
		out[i] = w
	}
	return out
}
