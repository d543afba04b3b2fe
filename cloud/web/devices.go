package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// deviceBody is one device as the API shows it: its completeness from the
// store and its connection state from the registry.
type deviceBody struct {
	ID string `json:"id"`
	// LastSeen is the collector's clock at the latest batch stored; null
	// for a device the registry knows and the store does not.
	LastSeen   *time.Time       `json:"last_seen"`
	SeqHigh    uint64           `json:"seq_high"`
	Missing    telemetry.Ranges `json:"missing"`
	Received   uint64           `json:"received"`
	Duplicates uint64           `json:"duplicates"`
	Condensed  uint64           `json:"condensed"`
	Replayed   uint64           `json:"replayed"`
	FutureTime uint64           `json:"future_time"`
	// Incarnation is the current outbox's, a decimal string (a random
	// 64-bit number does not fit a JSON number exactly); "0" when unknown.
	// SeqHigh, Missing and Received are about that outbox.
	Incarnation      uint64 `json:"incarnation,string"`
	Incarnations     uint64 `json:"incarnations"`      // outboxes the device has had (board swaps, reflashed cards)
	PreviousReceived uint64 `json:"previous_received"` // sequence numbers received under earlier outboxes
	StaleIncarnation uint64 `json:"stale_incarnation"` // stored from an earlier outbox after a newer one started

	Online        bool                 `json:"online"`
	State         string               `json:"state"`
	StateSince    *time.Time           `json:"state_since"` // null when unknown
	StateReason   string               `json:"state_reason"`
	ConfigHash    string               `json:"config_hash"` // the config the device runs; "" when unknown
	LastHeartbeat *telemetry.Heartbeat `json:"last_heartbeat"`
}

type deviceDetail struct {
	deviceBody
	AggregatesURL string `json:"aggregates_url"`
}

// newDevice combines what the store (nil when it has no batch from the
// device) and the registry know.
func newDevice(d *store.Device, st registry.Device) deviceBody {
	b := deviceBody{ID: st.ID, Missing: telemetry.Ranges{}, Online: st.Online, State: st.State, StateReason: st.Reason, ConfigHash: st.ConfigHash}
	if d != nil {
		b.ID, b.LastSeen = d.ID, utc(d.LastSeen)
		b.SeqHigh, b.Received, b.Duplicates = d.SeqHigh, d.Received, d.Duplicates
		b.Condensed, b.Replayed, b.FutureTime = d.Condensed, d.Replayed, d.FutureTime
		b.Incarnation, b.Incarnations = d.Incarnation, d.Incarnations
		b.PreviousReceived, b.StaleIncarnation = d.PreviousReceived, d.StaleIncarnation
		if d.Missing != nil {
			b.Missing = d.Missing
		}
	}
	if !st.Since.IsZero() {
		b.StateSince = utc(st.Since)
	}
	if st.Heartbeat != nil {
		hb := *st.Heartbeat
		hb.Time = hb.Time.UTC()
		b.LastHeartbeat = &hb
	}
	return b
}

// devices lists every device the store or the registry knows, by id.
func (s *server) devices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.src.Devices(r.Context())
	if err != nil {
		s.fail(w, r, "list devices", err)
		return
	}
	states := s.states.Devices()
	out := make([]deviceBody, 0, max(len(ds), len(states)))
	i, j := 0, 0
	for i < len(ds) || j < len(states) {
		switch {
		case j == len(states) || i < len(ds) && ds[i].ID < states[j].ID:
			out = append(out, newDevice(&ds[i], registry.Unknown(ds[i].ID)))
			i++
		case i == len(ds) || states[j].ID < ds[i].ID:
			out = append(out, newDevice(nil, states[j]))
			j++
		default:
			out = append(out, newDevice(&ds[i], states[j]))
			i++
			j++
		}
	}
	s.reply(w, r, http.StatusOK, out)
}

func (s *server) device(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := telemetry.ValidateDeviceID(id); err != nil {
		writeError(w, http.StatusBadRequest, "device: "+strings.TrimPrefix(err.Error(), "telemetry: "))
		return
	}
	ds, err := s.src.Devices(r.Context())
	if err != nil {
		s.fail(w, r, "list devices", err)
		return
	}
	var found *store.Device
	for i := range ds {
		if ds[i].ID == id {
			found = &ds[i]
			break
		}
	}
	st, known := s.states.Device(id)
	if found == nil && !known {
		writeError(w, http.StatusNotFound, "no such device: "+id)
		return
	}
	s.reply(w, r, http.StatusOK, deviceDetail{
		deviceBody:    newDevice(found, st),
		AggregatesURL: "/api/v1/aggregates?" + url.Values{"device": {id}}.Encode(),
	})
}

// noStates is the registry of a server given none: it knows no device.
type noStates struct{}

func (noStates) Device(id string) (registry.Device, bool) { return registry.Unknown(id), false }
func (noStates) Devices() []registry.Device               { return nil }
