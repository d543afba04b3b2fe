package configs

import (
	"encoding/json"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		out     string // what Marshal writes back
		wantErr bool
	}{
		{in: "15m", want: 15 * time.Minute, out: "15m"},
		{in: "1s", want: time.Second, out: "1s"},
		{in: "100ms", want: 100 * time.Millisecond, out: "100ms"},
		{in: "1h30m", want: 90 * time.Minute, out: "1h30m"},
		{in: "24h", want: 24 * time.Hour, out: "24h"},
		{in: `"5s"`, want: 5 * time.Second, out: "5s"},
		{in: "0s", want: 0, out: "0s"},
		{in: "5", wantErr: true},
		{in: "0", wantErr: true},
		{in: "fast", wantErr: true},
		{in: "[1s]", wantErr: true},
	}
	for _, tt := range tests {
		var v struct {
			D Duration `yaml:"d"`
		}
		err := yaml.Unmarshal([]byte("d: "+tt.in), &v)
		if tt.wantErr {
			if _, ok := err.(*yaml.TypeError); !ok {
				t.Errorf("%s: error %v, want a *yaml.TypeError", tt.in, err)
			}
			continue
		}
		if err != nil || v.D.D() != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.in, v.D, err, tt.want)
			continue
		}
		b, err := yaml.Marshal(v)
		if err != nil || string(b) != "d: "+tt.out+"\n" {
			t.Errorf("%s: marshalled to %q, %v; want %q", tt.in, b, err, "d: "+tt.out+"\n")
		}
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Duration(15 * time.Minute))
	if err != nil || string(b) != `"15m"` {
		t.Fatalf("got %s, %v", b, err)
	}
	var d Duration
	if err := json.Unmarshal(b, &d); err != nil || d != Duration(15*time.Minute) {
		t.Errorf("round trip gave %v, %v", d, err)
	}
}

func TestDateYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: "2016-08-01", want: Date{2016, time.August, 1}},
		{in: `"2016-08-01"`, want: Date{2016, time.August, 1}},
		{in: "2016-02-30", wantErr: true},
		{in: "2016-08-01T00:00:00Z", wantErr: true},
		{in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		var v struct {
			D Date `yaml:"d"`
		}
		err := yaml.Unmarshal([]byte("d: "+tt.in), &v)
		if tt.wantErr {
			if _, ok := err.(*yaml.TypeError); !ok {
				t.Errorf("%s: error %v, want a *yaml.TypeError", tt.in, err)
			}
			continue
		}
		if err != nil || v.D != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.in, v.D, err, tt.want)
			continue
		}
		b, err := yaml.Marshal(v)
		if err != nil || string(b) != "d: \"2016-08-01\"\n" && string(b) != "d: 2016-08-01\n" {
			t.Errorf("%s: marshalled to %q, %v", tt.in, b, err)
		}
	}
	var zero struct {
		D Date `yaml:"d"`
	}
	if b, _ := yaml.Marshal(zero); string(b) != "d: null\n" {
		t.Errorf("zero date marshalled to %q", b)
	}
}

func TestDate(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	d := Date{2016, time.August, 1}
	if got := d.In(shanghai); !got.Equal(time.Date(2016, 7, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("In(Shanghai) = %v", got)
	}
	if !d.Before(Date{2016, time.August, 2}) || d.Before(d) {
		t.Error("Before is wrong")
	}
	if d.String() != "2016-08-01" || (Date{}).String() != "" || !(Date{}).IsZero() {
		t.Error("String or IsZero is wrong")
	}
}

func TestPeriodYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    PeriodSpec
		out     string // what Marshal writes back
		wantErr bool
	}{
		{in: "15m", want: PeriodSpec{D: 15 * time.Minute}, out: "15m"},
		{in: "1h", want: PeriodSpec{D: time.Hour}, out: "1h"},
		{in: "day", want: PeriodSpec{D: 24 * time.Hour}, out: "day"},
		{in: "24h", want: PeriodSpec{D: 24 * time.Hour}, out: "day"},
		{in: "year", want: PeriodSpec{Year: true}, out: "year"},
		{in: "0s", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "5", wantErr: true},
		{in: "fortnight", wantErr: true},
		{in: "[1h]", wantErr: true},
	}
	for _, tt := range tests {
		var v struct {
			P PeriodSpec `yaml:"p"`
		}
		err := yaml.Unmarshal([]byte("p: "+tt.in), &v)
		if tt.wantErr {
			if _, ok := err.(*yaml.TypeError); !ok {
				t.Errorf("%s: error %v, want a *yaml.TypeError", tt.in, err)
			}
			continue
		}
		if err != nil || v.P != tt.want || v.P.IsZero() {
			t.Errorf("%s: got %+v, %v; want %+v", tt.in, v.P, err, tt.want)
			continue
		}
		b, err := yaml.Marshal(v)
		if err != nil || string(b) != "p: "+tt.out+"\n" {
			t.Errorf("%s: marshalled to %q, %v; want %q", tt.in, b, err, "p: "+tt.out+"\n")
		}
	}
	if !(PeriodSpec{}).IsZero() {
		t.Error("the zero PeriodSpec is not IsZero")
	}
}
