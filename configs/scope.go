package configs

import "slices"

// Where is what the collector config says of a device's place.
type Where struct {
	Device, Site, District string
	Tags                   []string
}

// Where returns the place of device: its site, district and tags, from
// the sites that list it. A device no site lists has only its id.
func (col *Collector) Where(device string) Where {
	for _, s := range col.Sites {
		if slices.Contains(s.Devices, device) {
			return Where{Device: device, Site: s.ID, District: s.District, Tags: s.Tags}
		}
	}
	return Where{Device: device}
}

// Covers reports whether the scope selects a device at w: every field
// that is set must match (an entry of it, for lists).
func (s Scope) Covers(w Where) bool {
	if len(s.Devices) > 0 && !slices.Contains(s.Devices, w.Device) ||
		len(s.Sites) > 0 && !slices.Contains(s.Sites, w.Site) ||
		len(s.Districts) > 0 && !slices.Contains(s.Districts, w.District) {
		return false
	}
	if len(s.Tags) == 0 {
		return true
	}
	for _, t := range w.Tags {
		if slices.Contains(s.Tags, t) {
			return true
		}
	}
	return false
}

// Route returns the office that receives alerts of category for a device
// at w: the first route whose category and scope match; ok is false when
// none does (never for a device a rule without an office judges, in a
// config that LoadCollector or Validate accepted).
func (col *Collector) Route(category string, w Where) (office string, ok bool) {
	for _, rt := range col.Routes {
		if rt.Category == category && rt.Scope.Covers(w) {
			return rt.Office, true
		}
	}
	return "", false
}

// Office returns the office with id.
func (col *Collector) Office(id string) (Office, bool) {
	for _, o := range col.Offices {
		if o.ID == id {
			return o, true
		}
	}
	return Office{}, false
}
