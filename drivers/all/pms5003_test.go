//go:build !no_pms5003

package all

import (
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

func TestPMS5003Registered(t *testing.T) {
	if _, err := sensor.Lookup("pms5003"); err != nil {
		t.Error(err)
	}
}
